"""The translation catalogs, compiled in Python (Babel) so that no machine needs GNU gettext
to run Fideliza: `make run`, `make test` and deployments call `compile_catalogs`.

The `.mo` files are build output (not committed); a catalog is compiled again whenever its
`.po` file is newer. A fuzzy entry is left out, so it falls back to English rather than
showing a guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings


def po_files() -> Iterator[Path]:
    for root in settings.LOCALE_PATHS:
        yield from sorted(Path(root).glob("*/LC_MESSAGES/*.po"))


def compile_catalog(po_path: Path) -> Path:
    mo_path = po_path.with_suffix(".mo")
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=po_path.parent.parent.name)
    with mo_path.open("wb") as mo_file:
        write_mo(mo_file, catalog, use_fuzzy=False)
    return mo_path


def compile_catalogs(*, force: bool = False) -> list[Path]:
    """Compiles every catalog whose `.mo` is missing or older than its `.po`."""
    compiled = []
    for po_path in po_files():
        mo_path = po_path.with_suffix(".mo")
        if force or not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            compiled.append(compile_catalog(po_path))
    return compiled


# The one way the catalogs are made (`manage.py update_catalogs`, `make messages`), which the
# test that they are up to date repeats on a copy of the tree.
CATALOG_LANGUAGES = ("es", "ro")
MAKEMESSAGES_OPTIONS = {
    "locale": list(CATALOG_LANGUAGES),
    "no_location": True,
    "no_obsolete": True,
    "ignore_patterns": [
        "tests/*",
        "bench/*",
        "staticfiles/*",
        "static/vendor/*",
        "locale_vendor/*",
        "media/*",
        "test-artifacts/*",
        "node_modules/*",
    ],
}
CATALOG_DOMAINS = ("django", "djangojs")
