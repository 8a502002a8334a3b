"""A marked string that the catalogs lack fails here: `update_catalogs` (makemessages with
the project's options) is run on a copy of the tree and must change nothing but the date."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from apps.core.catalogs import CATALOG_DOMAINS, CATALOG_LANGUAGES
from tests.conftest import REQUIRE_SERVICES

COPIED = ["apps", "config", "templates", "static", "locale", "locale_vendor", "manage.py"]


def _without_creation_date(path: Path) -> list[str]:
    return [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.startswith('"POT-Creation-Date:')
    ]


@pytest.mark.skipif(
    not (shutil.which("xgettext") and shutil.which("msgmerge")) and not REQUIRE_SERVICES,
    reason="needs GNU gettext (Debian package 'gettext'; `make test` installs it)",
)
def test_makemessages_finds_nothing_new(tmp_path):
    base = Path(settings.BASE_DIR)
    for name in COPIED:
        source = base / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)

    result = subprocess.run(
        [sys.executable, "manage.py", "update_catalogs"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.local"},
    )
    assert result.returncode == 0, result.stderr

    stale = []
    for language in CATALOG_LANGUAGES:
        for domain in CATALOG_DOMAINS:
            relative = Path("locale") / language / "LC_MESSAGES" / f"{domain}.po"
            if _without_creation_date(base / relative) != _without_creation_date(
                tmp_path / relative
            ):
                stale.append(str(relative))
    assert not stale, (
        f"{stale} are out of date: run `make messages`, translate the new entries, commit"
    )
