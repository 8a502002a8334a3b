from django.core.management.commands import makemessages


class Command(makemessages.Command):
    """Django's makemessages, which also finds the plural msgids of stored text:
    `stored_plural("%(count)s point", "%(count)s points", n)` (apps/core/stored_text.py)."""

    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=stored_plural:1,2"]
