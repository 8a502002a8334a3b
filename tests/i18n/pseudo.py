"""A pseudo-locale: every msgid the site knows, "translated" into itself between ⟦ and ⟧.

Rendered under it, a page shows every marked string between the markers; what is left
outside them is data (names, numbers, codes, dates) or a string nobody marked. The
catalog holds our msgids and those of every installed app and of Django, so that text from
allauth or Django's forms is not taken for ours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

import django
import polib
from django.apps import apps
from django.conf import settings

OPEN, CLOSE = "⟦", "⟧"
PSEUDO_LANGUAGE = "es"  # a language the site offers, so every way of choosing it works


def _catalogs_of(language: str) -> Iterable[Path]:
    roots = [Path(django.__file__).parent / "conf" / "locale"]
    roots += [Path(config.path) / "locale" for config in apps.get_app_configs()]
    roots += [Path(path) for path in settings.LOCALE_PATHS]
    for root in roots:
        folder = root / language / "LC_MESSAGES"
        for domain in ("django",):
            po, mo = folder / f"{domain}.po", folder / f"{domain}.mo"
            if po.exists():
                yield po
            elif mo.exists():
                yield mo


def _wrap(text: str) -> str:
    return f"{OPEN}{text}{CLOSE}"


def build_pseudo_catalog(folder: Path) -> Path:
    """Writes `<folder>/es/LC_MESSAGES/django.mo`; put `folder` first in LOCALE_PATHS."""
    pseudo = polib.POFile()
    pseudo.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
        "Language": PSEUDO_LANGUAGE,
    }
    seen = set()
    for path in _catalogs_of(PSEUDO_LANGUAGE):
        source = polib.pofile(str(path)) if path.suffix == ".po" else polib.mofile(str(path))
        for entry in source:
            key = (entry.msgctxt, entry.msgid)
            if not entry.msgid or key in seen or entry.obsolete:
                continue
            seen.add(key)
            if entry.msgid_plural:
                pseudo.append(
                    polib.POEntry(
                        msgctxt=entry.msgctxt,
                        msgid=entry.msgid,
                        msgid_plural=entry.msgid_plural,
                        msgstr_plural={0: _wrap(entry.msgid), 1: _wrap(entry.msgid_plural)},
                    )
                )
            else:
                pseudo.append(
                    polib.POEntry(
                        msgctxt=entry.msgctxt, msgid=entry.msgid, msgstr=_wrap(entry.msgid)
                    )
                )
    target = folder / PSEUDO_LANGUAGE / "LC_MESSAGES" / "django.mo"
    target.parent.mkdir(parents=True, exist_ok=True)
    pseudo.save_as_mofile(str(target))
    return target


# Attributes whose value a person reads (or hears, from a screen reader).
_READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "hx-confirm", "data-confirm"}
_SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "kbd", "samp", "template"}
_VOID_ELEMENTS = {"input", "br", "img", "meta", "link", "hr", "source", "wbr", "col"}
# Inside a sentence: a translated sentence may hold a link or emphasis, so the text of these
# joins the text around it instead of starting a new piece.
_INLINE_ELEMENTS = {"a", "strong", "em", "b", "i", "small", "span", "time", "abbr", "mark", "br"}


def _foreign(attributes: dict) -> bool:
    """Written for a reader of another language (`lang` says which): a member's email in
    their language, the box of an automation's text in another language. Such text is
    not the page's interface; under the pseudo-locale it is the source, unmarked."""
    lang = (attributes.get("lang") or PSEUDO_LANGUAGE).lower()
    return lang.split("-")[0] != PSEUDO_LANGUAGE


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._current: list[str] = []
        self._skipping: list[str] = []

    def _flush(self):
        if self._current:
            self.parts.append("".join(self._current))
            self._current = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self._skipping:
            if tag not in _VOID_ELEMENTS:
                self._skipping.append(tag)
            return
        if tag in _SKIPPED_ELEMENTS or "data-i18n-data" in attributes or _foreign(attributes):
            if tag not in _VOID_ELEMENTS:
                self._skipping.append(tag)
            return
        if tag in _INLINE_ELEMENTS:
            self._current.append(" ")
        else:
            self._flush()
        for name, value in attrs:
            if value and name in _READ_ATTRIBUTES:
                self.parts.append(value)
        if tag == "input" and attributes.get("type") in {"submit", "button", "reset"}:
            self.parts.append(attributes.get("value") or "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_ELEMENTS and self._skipping and self._skipping[-1] == tag:
            self._skipping.pop()

    def handle_endtag(self, tag):
        if self._skipping:
            if self._skipping[-1] == tag:
                self._skipping.pop()
            return
        if tag in _INLINE_ELEMENTS:
            self._current.append(" ")
        else:
            self._flush()

    def handle_data(self, data):
        if not self._skipping:
            self._current.append(data)

    def close(self):
        super().close()
        self._flush()


_HTML_LANG = re.compile(r"<html[^>]*\blang=\"([^\"]*)\"", re.IGNORECASE)


def foreign_document(html: str) -> bool:
    """A document written for a reader of another language (a member's email, framed by
    a preview): nothing in it is marked under the pseudo-locale."""
    found = _HTML_LANG.search(html)
    return found is not None and _foreign({"lang": found.group(1)})


def visible_texts(html: str) -> list[str]:
    # A marked string may hold markup of its own (an automation's default email, in
    # paragraphs): taken out whole before the parser splits it into pieces.
    previous = None
    while previous != html:
        previous, html = html, _MARKED.sub(" ", html)
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return [part for part in parser.parts if part.strip()]


_MARKED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
_NOT_WORDS = re.compile(
    r"[\w.+-]+@[\w.-]+"  # emails
    r"|https?://\S+|/[\w/.-]*"  # addresses and paths
    r"|\b\w*\d\w*\b"  # anything with a digit: amounts, codes, dates
)
WORD = re.compile(r"[^\W\d_]{2,}")


def unmarked_words(text: str, data_words: set[str]) -> list[str]:
    """Words outside the markers that are not data: strings nobody marked."""
    previous = None
    while previous != text:  # a translated sentence may hold translated pieces
        previous, text = text, _MARKED.sub(" ", text)
    text = _NOT_WORDS.sub(" ", text)
    return [word for word in WORD.findall(text) if word.lower() not in data_words]
