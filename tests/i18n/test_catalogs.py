"""The Spanish and Romanian catalogs are complete, well-formed, and read as they should.

A marked string that the catalogs lack is caught by test_catalogs_up_to_date.py; a string
nobody marked, by test_pseudo_locale.py. This file checks what is in the catalogs.
"""

import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

from apps.core.catalogs import CATALOG_LANGUAGES, compile_catalog, po_files
from tests.conftest import REQUIRE_SERVICES

CATALOGS = sorted(po_files())
# `%(name)s`, `%(count)d`, a bare `%s`/`%d`, and `{name}` (JavaScript and format strings).
PLACEHOLDER = re.compile(r"%\([a-zA-Z_]\w*\)[sdif]|%[sdif]|\{[a-zA-Z_]\w*\}")


def _entries(path: Path):
    return [entry for entry in polib.pofile(str(path)) if not entry.obsolete]


def _where(path: Path) -> str:
    return str(path.relative_to(settings.BASE_DIR))


def test_each_language_has_its_catalogs():
    ours = {_where(path) for path in CATALOGS}
    for language in CATALOG_LANGUAGES:
        assert f"locale/{language}/LC_MESSAGES/django.po" in ours
        assert f"locale/{language}/LC_MESSAGES/djangojs.po" in ours
        assert f"locale_vendor/{language}/LC_MESSAGES/django.po" in ours


@pytest.mark.parametrize("path", CATALOGS, ids=_where)
def test_every_entry_is_translated_and_none_is_fuzzy(path):
    catalog = polib.pofile(str(path))
    assert "fuzzy" not in catalog.metadata_is_fuzzy, "the header is marked fuzzy"
    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]
    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"
    empty_plurals = [
        entry.msgid
        for entry in _entries(path)
        if entry.msgid_plural and not all(entry.msgstr_plural.values())
    ]
    assert not empty_plurals, f"plural forms missing: {empty_plurals[:5]}"


@pytest.mark.parametrize("path", CATALOGS, ids=_where)
def test_translations_keep_the_placeholders_of_their_source(path):
    wrong = []
    for entry in _entries(path):
        if entry.msgid_plural:
            expected = set(PLACEHOLDER.findall(entry.msgid_plural))
            for form, text in entry.msgstr_plural.items():
                found = set(PLACEHOLDER.findall(text))
                # A singular form may name the number in words ("un punct"), not repeat it.
                if found != expected and not (form == 0 and found < expected):
                    wrong.append((entry.msgid, form, text))
        elif sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
            wrong.append((entry.msgid, entry.msgstr))
    assert not wrong, f"placeholders differ from the source: {wrong[:5]}"


@pytest.mark.parametrize("language", CATALOG_LANGUAGES)
def test_the_plural_forms_are_the_languages_own(language):
    expected = {
        "es": "nplurals=2; plural=(n != 1);",
        "ro": "nplurals=3; plural=(n==1?0:(((n%100>19)||((n%100==0)&&(n!=0)))?2:1));",
    }[language]
    for path in CATALOGS:
        if f"/{language}/" in str(path):
            catalog = polib.pofile(str(path))
            assert catalog.metadata["Plural-Forms"] == expected, _where(path)
            assert catalog.metadata["Language"] == language, _where(path)


def test_romanian_writes_s_and_t_with_a_comma_below():
    cedillas = []
    for path in CATALOGS:
        if "/ro/" in str(path):
            for entry in _entries(path):
                texts = [entry.msgstr, *entry.msgstr_plural.values()]
                cedillas += [text for text in texts if re.search("[şţŞŢ]", text)]
    assert not cedillas, f"ş/ţ with a cedilla instead of ș/ț: {cedillas[:5]}"


def test_spanish_questions_and_exclamations_open_with_inverted_marks():
    wrong = []
    for path in CATALOGS:
        if "/es/" in str(path):
            for entry in _entries(path):
                for text in [entry.msgstr, *entry.msgstr_plural.values()]:
                    for sentence in re.findall(r"[^.?!¿¡]*[?!]", text):
                        mark = "¿" if sentence.endswith("?") else "¡"
                        # A sentence with a placeholder or markup before its mark may have
                        # its opening mark earlier in the text; only plain sentences count.
                        if (
                            sentence.strip()
                            and mark not in text
                            and "%(" not in sentence
                            and "<" not in sentence
                        ):
                            wrong.append(text)
    assert not wrong, f"Spanish questions need ¿ and exclamations ¡: {wrong[:5]}"


@pytest.mark.skipif(
    not shutil.which("msgfmt") and not REQUIRE_SERVICES,
    reason="needs GNU gettext's msgfmt (Debian package 'gettext'; `make test` installs it)",
)
@pytest.mark.parametrize("path", CATALOGS, ids=_where)
def test_msgfmt_check_passes(path, tmp_path):
    result = subprocess.run(
        ["msgfmt", "--check", "--output-file", str(tmp_path / "out.mo"), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", CATALOGS, ids=_where)
def test_babel_compiles_what_gettext_reads(path, tmp_path):
    """The `.mo` that `compile_catalogs` writes (Babel, no GNU gettext) holds every entry."""
    copy = tmp_path / path.parent.parent.name / "LC_MESSAGES" / path.name
    copy.parent.mkdir(parents=True)
    shutil.copy(path, copy)
    compiled = polib.mofile(str(compile_catalog(copy)))
    by_id = {(entry.msgctxt, entry.msgid): entry for entry in compiled}
    for entry in _entries(path):
        assert (entry.msgctxt, entry.msgid) in by_id, entry.msgid


def test_pages_read_in_spanish_and_romanian_and_fall_back_to_english():
    with translation.override("es"):
        assert translation.gettext("Points") == "Puntos"
        assert translation.gettext("A string nobody translated") == "A string nobody translated"
    with translation.override("ro"):
        assert translation.gettext("Points") == "Puncte"


def test_romanian_uses_its_three_plural_forms():
    with translation.override("ro"):
        forms = {
            count: translation.ngettext("%(count)d point", "%(count)d points", count)
            % {"count": count}
            for count in (1, 2, 19, 20, 101, 120)
        }
    assert forms == {
        1: "1 punct",
        2: "2 puncte",
        19: "19 puncte",
        20: "20 de puncte",
        101: "101 puncte",
        120: "120 de puncte",
    }


def test_drf_messages_its_own_catalogs_lack_are_supplied():
    """DRF ships Romanian and Spanish catalogs with some strings missing: locale_vendor has
    them, so every DRF message a storefront can see reads in the language asked for."""
    import rest_framework

    drf_locale = Path(rest_framework.__file__).parent / "locale"

    def msgids(language: str) -> set[str]:
        compiled = polib.mofile(str(drf_locale / language / "LC_MESSAGES" / "django.mo"))
        return {entry.msgid for entry in compiled if entry.msgid}

    for language in CATALOG_LANGUAGES:
        missing = msgids("en") - msgids(language)
        vendor = settings.BASE_DIR / f"locale_vendor/{language}/LC_MESSAGES/django.po"
        supplied = {entry.msgid for entry in polib.pofile(str(vendor)) if entry.translated()}
        assert missing <= supplied, sorted(missing - supplied)[:5]
        with translation.override(language):
            for msgid in sorted(missing):
                if "%" not in msgid and "{" not in msgid:
                    assert translation.gettext(msgid) != msgid, msgid


def test_an_untranslated_or_fuzzy_entry_falls_back_to_english_never_to_empty(tmp_path):
    import gettext

    po_path = tmp_path / "es" / "LC_MESSAGES" / "django.po"
    po_path.parent.mkdir(parents=True)
    catalog = polib.POFile()
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8", "Language": "es"}
    catalog.append(polib.POEntry(msgid="Points", msgstr="Puntos"))
    catalog.append(polib.POEntry(msgid="Rewards", msgstr=""))
    catalog.append(polib.POEntry(msgid="Tiers", msgstr="Niveles a medias", flags=["fuzzy"]))
    catalog.save(str(po_path))

    with compile_catalog(po_path).open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)

    assert translations.gettext("Points") == "Puntos"
    assert translations.gettext("Rewards") == "Rewards"
    assert translations.gettext("Tiers") == "Tiers"
