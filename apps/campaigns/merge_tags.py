"""Merge tags in campaign messages: a fixed whitelist, checked, sanitised and rendered.

A campaign's subject and bodies (per language) may say `{{ first_name }}` and the other
names in `MERGE_TAGS`, and nothing else: they are not Django templates, so nothing a
merchant writes is ever evaluated (`{{ settings.SECRET_KEY }}`, `{% … %}`, filters and
attribute access are refused when the campaign is saved, by `merge_tags_check`).
Rendering is one regular-expression pass that swaps a whitelisted tag for its value.

An HTML body goes through `html_sanitise` (nh3) before it is checked and stored; check
what is stored, because sanitising decodes entities (`&#123;&#123;` becomes `{{`).
`merge_tags_render` expects such a stored body: it relies on nh3's serialisation (every
attribute double-quoted, `<` and `>` escaped inside attributes and text) to tell a link's
`href` from the rest.

`sms_segments` is the messaging app's counter (one GSM-7 table for the whole project),
in the shape the campaign editor shows.
"""

from __future__ import annotations

import html as html_escaping
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote

import nh3
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.errors import DomainError
from apps.messaging import sms

# In the order the editor lists them.
MERGE_TAG_DESCRIPTIONS = {
    "first_name": _("The member's first name"),
    "points_balance": _("The member's points balance"),
    "tier": _("The member's VIP tier"),
    "coupon_code": _("The code of the coupon this campaign gives"),
    "coupon_value": _("What that coupon is worth"),
    "coupon_expires": _("When that coupon expires"),
    "card_url": _("The link to the member's card page"),
    "shop_name": _("Your business's name"),
    "unsubscribe_url": _("The link to stop receiving these messages"),
}
MERGE_TAGS: tuple[str, ...] = tuple(MERGE_TAG_DESCRIPTIONS)
# Tags only an automation of a kind may use (apps/campaigns/automations/kinds.py): what
# its moment is about. A campaign's text naming one is refused.
KIND_TAG_DESCRIPTIONS = {
    "expiring_points": _("How many of the member's points expire"),
    "expiry_date": _("The day those points expire"),
    "reward_progress": _("How far the member is from their next reward, as a sentence"),
    "birthday_gift": _("The program's birthday bonus, as a sentence (empty without one)"),
    "tier_progress": _("What the member still needs to keep their tier, and by when"),
    "survey_links": _(
        "The answers 0 to 10 to the survey's question, as links (in an SMS, the link to "
        "the question)"
    ),
}
ALL_TAGS: tuple[str, ...] = MERGE_TAGS + tuple(KIND_TAG_DESCRIPTIONS)
# Links we build ourselves (signed tokens): the only tags that may be a whole href.
URL_MERGE_TAGS = frozenset({"card_url", "unsubscribe_url"})
# Tags whose value in an HTML body is markup we build (the survey's row of signed links,
# marked safe where it is made): put in as it is where text goes, escaped anywhere else,
# and as its text outside HTML.
MARKUP_MERGE_TAGS = frozenset({"survey_links"})

# Far above any email a person writes; it bounds the work a save can ask of us.
MAX_TEXT_LENGTH = 100_000

_TAG = re.compile(r"\{\{\s*(?P<name>" + "|".join(ALL_TAGS) + r")\s*\}\}")
_URL_TAG = re.compile(r"\{\{\s*(?:" + "|".join(sorted(URL_MERGE_TAGS)) + r")\s*\}\}")
# Everything that opens or closes a Django construct, in one scan so the first problem
# in reading order is the one reported.
_DELIMITER = re.compile(r"\{\{|\}\}|\{%|%\}|\{#")
_SNIPPET_LENGTH = 40


class MergeTagInvalid(DomainError):
    """A text the campaign cannot be saved with; `tag` is the offending piece."""

    code = "invalid_merge_tag"

    def __init__(self, message: str, *, field: str, tag: str = ""):
        super().__init__(message, field=field)
        self.tag = tag


def _snippet(piece: str) -> str:
    """The offending piece as the message quotes it: one line, and short, because it can
    be the rest of a long body when a tag is never closed."""
    flat = " ".join(piece.split())
    if len(flat) > _SNIPPET_LENGTH:
        return flat[: _SNIPPET_LENGTH - 1] + "…"
    return flat


def _from(text: str, start: int) -> str:
    return text[start : start + _SNIPPET_LENGTH]


def _up_to(text: str, end: int) -> str:
    return text[max(0, end - _SNIPPET_LENGTH) : end]


def _unknown(tag: str) -> tuple[str, str]:
    message = gettext("“%(tag)s” is not a merge tag. Use one of: %(tags)s.") % {
        "tag": _snippet(tag),
        "tags": ", ".join("{{ " + name + " }}" for name in MERGE_TAGS),
    }
    return tag, message


def _not_allowed(piece: str) -> tuple[str, str]:
    message = gettext("“%(tag)s” is not allowed: only merge tags such as {{ first_name }} are.")
    return piece, message % {"tag": _snippet(piece)}


def _never_opened(piece: str) -> tuple[str, str]:
    message = gettext("“%(tag)s” closes a merge tag that was never opened with {{.")
    return piece, message % {"tag": _snippet(piece)}


def _not_closed(piece: str) -> tuple[str, str]:
    return piece, gettext("“%(tag)s” is not closed with }}.") % {"tag": _snippet(piece)}


def _problem(text: str, allowed) -> tuple[str, str] | None:
    """The first bad piece of `text` and the sentence that explains it, or None."""
    opened_at: int | None = None
    for found in _DELIMITER.finditer(text):
        delimiter = found.group()
        if delimiter in ("{%", "{#"):
            return _not_allowed(_from(text, found.start()))
        if delimiter == "%}":  # quoted with what leads up to it
            return _not_allowed(_up_to(text, found.end()))
        if delimiter == "{{":
            if opened_at is not None:  # `{{ a {{ b }}`: the first one never closed
                break
            opened_at = found.start()
        elif opened_at is None:
            return _never_opened(_up_to(text, found.end()))
        else:
            tag = text[opened_at : found.end()]
            if tag[2:-2].strip() not in allowed:
                return _unknown(tag)
            opened_at = None
    return None if opened_at is None else _not_closed(_from(text, opened_at))


def merge_tags_check(*, text: str, field: str, allowed=MERGE_TAGS) -> None:
    """Refuse (`MergeTagInvalid`, code `invalid_merge_tag`, on `field`) a text longer
    than `MAX_TEXT_LENGTH` or with anything between braces but a name in `allowed` (the
    whitelist; an automation's adds its kind's tags)."""
    if len(text) > MAX_TEXT_LENGTH:
        message = gettext("This text is %(length)s characters long; at most %(limit)s.") % {
            "length": len(text),
            "limit": MAX_TEXT_LENGTH,
        }
        raise MergeTagInvalid(message, field=field)
    problem = _problem(text, allowed)
    if problem:
        tag, message = problem
        raise MergeTagInvalid(message, field=field, tag=tag)


def merge_tags_used(*, text: str) -> set[str]:
    """The whitelisted tags `text` uses: a campaign that says `{{ coupon_code }}` needs
    a coupon, one that says nothing of it does not."""
    return {found["name"] for found in _TAG.finditer(text)}


# --- HTML bodies ---------------------------------------------------------------------

_ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "u", "a", "ul", "ol", "li",
    "h1", "h2", "h3", "blockquote", "img", "span", "div",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
# No class, style or id anywhere: an email's look comes from our layout, and a style
# attribute is where CSS tricks (hidden text, overlays, url() trackers) live.
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# Dropped with their content, not just unwrapped: their text is code or hidden.
_DROPPED_WITH_CONTENT = {
    "script", "style", "template", "noscript", "iframe", "object", "embed",
    "svg", "math", "head", "title", "textarea", "select",
}  # fmt: skip
_NUMBER = re.compile(r"\d{1,4}")


def _relative_url(url: str) -> str | None:
    """nh3 sees `{{ card_url }}` as a relative URL. Relative URLs mean nothing in an
    email, and a member's own data as a whole href (`{{ first_name }}` holding
    `javascript:…`) could make the link anything: so the only relative URLs kept are
    our own links' tags, whose values the renderer checks are http(s)."""
    return url if _URL_TAG.fullmatch(url) else None


def _attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute in ("href", "src"):
        value = value.strip()  # so `href=" {{ card_url }} "` is still the tag alone
        if element == "img" and not value.lower().startswith(("https://", "http://")):
            return None  # an image is a web address: no mailto:, no link tag
    if attribute in ("width", "height", "colspan", "rowspan"):
        return value if _NUMBER.fullmatch(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes=_ALLOWED_ATTRIBUTES,
    attribute_filter=_attribute,
    url_schemes={"http", "https", "mailto"},
    url_relative=_relative_url,
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def html_sanitise(*, html: str) -> str:
    """The body with only ordinary formatting left: no scripts, styles, event handlers
    or `javascript:` links; links get `rel="noopener noreferrer"`. Merge tags survive in
    text, in attributes, inside http(s) and mailto URLs, and as a whole href when they
    are `{{ card_url }}` or `{{ unsubscribe_url }}`."""
    return _CLEANER.clean(html)


# nh3 escapes `<` and `>` inside attribute values and text, so in its output a `>`
# only ever ends a tag and `<[^>]*>` is exactly one tag.
_MARKUP = re.compile(r"<[^>]*>")
_IN_TAG = re.compile(r'(?P<href>\shref=")(?P<url>[^"]*)"|' + _TAG.pattern)


def _value(values: Mapping[str, str], name: str) -> str:
    value = values.get(name)
    return "" if value is None else str(value)


def _web_address(url: str) -> str:
    # Our link builder makes these; checked anyway, since an href is where a value
    # could become a script.
    return url if url.lower().startswith(("https://", "http://")) else ""


def _render_href(url: str, values: Mapping[str, str]) -> str:
    """An href's value: our own link tag alone is the link (attribute-escaped); a tag
    inside a written URL is a part of it, percent-encoded so it cannot add a path, a
    query or a fragment of its own."""
    whole = _TAG.fullmatch(url)
    if whole and whole["name"] in URL_MERGE_TAGS:
        return html_escaping.escape(_web_address(_value(values, whole["name"])))
    return _TAG.sub(lambda found: quote(_value(values, found["name"]), safe=""), url)


def _render_html(text: str, values: Mapping[str, str]) -> str:
    def escaped(found: re.Match) -> str:
        return html_escaping.escape(_value(values, found["name"]))

    def as_text(found: re.Match) -> str:
        if found["name"] in MARKUP_MERGE_TAGS:
            return conditional_escape(values.get(found["name"]) or "")
        return escaped(found)

    def in_tag(found: re.Match) -> str:
        if found["href"]:
            return found["href"] + _render_href(found["url"], values) + '"'
        return escaped(found)

    # One pass over each piece: a value is never read again, so a first name that
    # says `{{ coupon_code }}` stays those words.
    rendered, position = [], 0
    for markup in _MARKUP.finditer(text):
        rendered.append(_TAG.sub(as_text, text[position : markup.start()]))
        rendered.append(_IN_TAG.sub(in_tag, markup.group()))
        position = markup.end()
    rendered.append(_TAG.sub(as_text, text[position:]))
    return "".join(rendered)


def merge_tags_render(*, text: str, values: Mapping[str, str], html: bool) -> str:
    """`text` with each whitelisted tag replaced by its value ("" when missing).

    With `html`, `text` is a stored (sanitised) body and values are HTML-escaped, except
    in an href (see `_render_href`) and the safe markup of `MARKUP_MERGE_TAGS` where text
    goes. Without it (subjects, SMS, the plain-text part) the values go in as they are,
    markup as its text. Anything else between braces stays as written."""
    if html:
        return _render_html(text, values)

    def plain(found: re.Match) -> str:
        value = values.get(found["name"])
        if found["name"] in MARKUP_MERGE_TAGS and isinstance(value, SafeData):
            return html_to_text(html=value)
        return _value(values, found["name"])

    return _TAG.sub(plain, text)


_PARAGRAPHS = {"p", "div", "h1", "h2", "h3", "blockquote", "ul", "ol", "table", "hr"}
_LINES = {"li", "tr"}
_CELLS = {"td", "th"}
_BLANK_LINES = re.compile(r"\n{3,}")


class _PlainText(HTMLParser):
    """Collects text with "\n" for a line break and "\n\n" between paragraphs; the
    spaces HTML ignores are collapsed as a browser would."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[tuple[str, int]] = []  # href, where its text starts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "br":
            self.parts.append("\n")
        elif tag in _PARAGRAPHS:
            self.parts.append("\n\n")
        elif tag in _LINES:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append(" ")
        if tag == "li":
            self.parts.append("- ")
        elif tag == "a":
            self.links.append(((attributes.get("href") or "").strip(), len(self.parts)))
        elif tag == "img" and attributes.get("alt"):
            self.parts.append(attributes["alt"] or "")

    def handle_endtag(self, tag: str) -> None:
        # A list item or a row ends where the next one starts its line.
        if tag in _PARAGRAPHS:
            self.parts.append("\n\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = " ".join("".join(self.parts[start:]).split())
            # A link written out ("https://…" or an address) is not said twice.
            if href and label not in (href, href.removeprefix("mailto:")):
                self.parts.append(f" ({href})" if label else href)

    def handle_data(self, data: str) -> None:
        self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = (line.strip() for line in "".join(self.parts).split("\n"))
        return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(*, html: str) -> str:
    """The plain-text part of an email from a sanitised body: paragraphs and line breaks
    kept, lists as "- " lines, links as "text (url)". Works on a rendered body, or on a
    stored one whose text is then rendered with `html=False`."""
    parser = _PlainText()
    parser.feed(html)
    parser.close()
    return parser.text()


# --- SMS -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SmsSize:
    """What an SMS costs: `characters` in the encoding's units (GSM-7 septets, where an
    extension character such as € counts 2, or UTF-16 code units, where most emoji count
    2), `segments` the parts it is billed as, `encoding` "GSM-7" or "UCS-2"."""

    characters: int
    segments: int
    encoding: str


def sms_segments(*, text: str) -> SmsSize:
    """Count the text that will be sent: render the tags first (with sample values in
    the editor), since `{` and `}` are extension characters and a tag's value is not
    its name's length."""
    counted = sms.sms_segments(text=text)
    return SmsSize(characters=counted.length, segments=counted.segments, encoding=counted.encoding)
