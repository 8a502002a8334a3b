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
from django.utils.translation import gettext, gettext_noop, ngettext, pgettext

StoredText = dict[str, Any]


def stored_text(msgid: str, /, *, context: str = "", **params: Any) -> StoredText:
    """A msgid (marked with gettext_noop where it is written) and its named parameters; a
    `context` as pgettext's, for a msgid marked with pgettext_lazy elsewhere."""
    stored: StoredText = {"msgid": str(msgid)}
    if context:
        stored["context"] = context
    if params:
        stored["params"] = params
    return stored


def stored_plural(singular: str, plural: str, count: int, /, **params: Any) -> StoredText:
    """Like `stored_text`, for a sentence with a number: the count is `%(count)s` too.

    Write the two msgids as plain literals, `stored_plural("%(count)s point", "%(count)s
    points", n)`: the project's makemessages knows `stored_plural` as a plural keyword."""
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
        if "context" in stored:
            text = pgettext(stored["context"], stored["msgid"])
        else:
            text = gettext(stored["msgid"])
        return text % params if params else text
    except (KeyError, TypeError, ValueError):
        return fallback or stored["msgid"]


def english(stored: StoredText) -> str:
    """The text in English, as it is kept in the row's plain text column (exports, API)."""
    with translation.override("en"):
        return render(stored)


SUMMARY_KEY = "summary_text"


def summary_and_data(summary: str | StoredText, data: dict | None) -> tuple[str, dict]:
    """For a row with an English `summary` column and a `data` JSON: the English text, and
    the data with the stored text beside it (under SUMMARY_KEY)."""
    data = dict(data or {})
    if is_stored_text(summary):
        data[SUMMARY_KEY] = summary
        return english(summary), data
    return str(summary), data


def summary_for_reader(*, summary: str, data: dict | None) -> str:
    """The row's summary in the active language (its English text for older rows)."""
    return render((data or {}).get(SUMMARY_KEY), summary)


def choice_msgid(choices, value) -> StoredText:
    """A choice's label as stored text: its msgid (and context), whatever language is active
    now. Labels are marked with gettext_lazy or pgettext_lazy, whose proxies keep both."""
    label = choices(value).label
    try:
        _unpickle, (function, args, *_rest) = label.__reduce__()
    except (TypeError, ValueError):
        return stored_text(str(label))
    if function is translation.pgettext:
        context, msgid = args
        return {"msgid": msgid, "context": context}
    if function is translation.gettext:
        return stored_text(args[0])
    return stored_text(str(label))


def stored_list(items: list[str | StoredText]) -> str | StoredText:
    """Several texts (or names) as one, separated by commas: "a, b, c" in English."""
    if not items:
        return ""
    joined = items[0]
    for item in items[1:]:
        # Translators: a list being written out; %(list)s is what came before, e.g. "a, b".
        joined = stored_text(gettext_noop("%(list)s, %(item)s"), list=joined, item=item)
    return joined
