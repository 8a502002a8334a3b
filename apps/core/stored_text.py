"""Text that is written now and read later, in the reader's language.

An activity-log line, a timeline entry or a ledger reason is written once, by whoever acted,
and read for years by people of any language. So it is stored as its English msgid and
named parameters, and rendered at read time with the reader's catalog:

    text = stored_text(gettext_noop("Invited %(email)s as %(role)s"),
                       email=email, role=stored_text(Role(role).label_msgid))
    audit_record(..., summary=text)    # keeps `english(text)` in the summary column and
                                       # the stored form beside it; pages show `render(...)`

`gettext_noop` at the call site is what lets makemessages find the msgid. A parameter that
is itself text to translate (a role, a status) is a nested `stored_text`; names, codes and
numbers stay as they are. Rows written before this existed have only their English text,
which `render` shows unchanged.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext, ngettext

StoredText = dict[str, Any]


def stored_text(msgid: str, /, **params: Any) -> StoredText:
    """A msgid (marked with gettext_noop where it is written) and its named parameters."""
    return {"msgid": str(msgid), "params": params} if params else {"msgid": str(msgid)}


def stored_plural(singular: str, plural: str, count: int, /, **params: Any) -> StoredText:
    """Like `stored_text`, for a sentence with a number: the count is `%(count)s` too."""
    return {"msgid": singular, "plural": plural, "count": count, "params": params}


def is_stored_text(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("msgid"), str)


def render(stored: StoredText | None, fallback: str = "") -> str:
    """The stored text in the active language; `fallback` (the English text kept with it)
    for a row that has none, or whose parameters no longer fit its msgid."""
    if not is_stored_text(stored):
        return fallback
    params = {
        name: render(value) if is_stored_text(value) else value
        for name, value in (stored.get("params") or {}).items()
    }
    try:
        if "plural" in stored:
            count = int(stored["count"])
            params.setdefault("count", count)
            return ngettext(stored["msgid"], stored["plural"], count) % params
        text = gettext(stored["msgid"])
        return text % params if params else text
    except (KeyError, TypeError, ValueError):
        return fallback or stored["msgid"]


def english(stored: StoredText) -> str:
    """The text in English, as it is kept in the row's plain text column (exports, API)."""
    with translation.override("en"):
        return render(stored)
