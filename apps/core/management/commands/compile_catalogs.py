from django.core.management.base import BaseCommand

from apps.core.catalogs import compile_catalogs


class Command(BaseCommand):
    help = "Compiles the translation catalogs (.po -> .mo) with Babel; no GNU gettext needed."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Compile even fresh ones.")

    def handle(self, *args, force, **options):
        compiled = compile_catalogs(force=force)
        for path in compiled:
            self.stdout.write(f"Compiled {path.relative_to(path.parents[3])}")
        if not compiled:
            self.stdout.write("The catalogs are up to date.")
