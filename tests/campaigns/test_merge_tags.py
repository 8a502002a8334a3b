"""Merge tags in campaign messages: the whitelist, the refusals when a campaign is saved,
sanitising HTML bodies with nh3, rendering (escaped in HTML, as written in text), the
plain-text part, and what an SMS costs."""

import pytest
from django.utils import translation

from apps.campaigns.merge_tags import (
    MAX_TEXT_LENGTH,
    MERGE_TAG_DESCRIPTIONS,
    MERGE_TAGS,
    SmsSize,
    html_sanitise,
    html_to_text,
    merge_tags_check,
    merge_tags_render,
    merge_tags_used,
    sms_segments,
)
from apps.core.errors import DomainError

CARD = "https://fideliza.test/c/tok?a=1&b=2"


def refusal(text: str, field: str = "body.es") -> DomainError:
    with translation.override("en"), pytest.raises(DomainError) as caught:
        merge_tags_check(text=text, field=field)
    return caught.value


def test_the_whitelist_is_fixed_and_each_tag_is_described():
    assert MERGE_TAGS == (
        "first_name",
        "points_balance",
        "tier",
        "coupon_code",
        "coupon_value",
        "coupon_expires",
        "card_url",
        "shop_name",
        "unsubscribe_url",
    )
    with translation.override("en"):
        assert str(MERGE_TAG_DESCRIPTIONS["first_name"]) == "The member's first name"
        assert all(str(MERGE_TAG_DESCRIPTIONS[name]) for name in MERGE_TAGS)


# --- merge_tags_check ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Hola {{ first_name }}",
        "Hola {{first_name}}",
        "Hola {{  first_name\t}}",
        "{{ card_url }}{{unsubscribe_url}}",
        " ".join("{{ " + name + " }}" for name in MERGE_TAGS),
        "Plain text, 50% off, {single} braces, #1 and } alone",
        "",
    ],
)
def test_whitelisted_tags_with_or_without_spaces_are_accepted(text):
    merge_tags_check(text=text, field="body.es")  # no exception


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Hola {{ first_name.upper }}", "{{ first_name.upper }}"),
        ("{{ settings.SECRET_KEY }}", "{{ settings.SECRET_KEY }}"),
        ("{{first_name|upper}}", "{{first_name|upper}}"),
        ("{{ }}", "{{ }}"),
        ("{{}}", "{{}}"),
        ("{{ First_Name }}", "{{ First_Name }}"),
        ("{{ first name }}", "{{ first name }}"),
        ("{{ request.user.email }}", "{{ request.user.email }}"),
        ("{{ coupon_code() }}", "{{ coupon_code() }}"),
        ("{{{ first_name }}}", "{{{ first_name }}"),
        ("{% if x %}yes{% endif %}", "{% if x %}"),
        ("{% load static %}", "{% load static %}"),
        ("Save 20 %} now", "Save 20 %}"),
        ("{# a comment #}", "{# a comment #}"),
        ("Hola {{ first_name", "{{ first_name"),
        ("Hola first_name }}", "Hola first_name }}"),
        ("{{ first_name }} }}", "{{ first_name }} }}"),
        ("{{ a {{ first_name }}", "{{ a {{ first_name }}"),
        ("{{ first_name }} {{% debug %}}", "{{% debug %}"),
    ],
)
def test_anything_but_a_whitelisted_name_is_refused(text, named):
    error = refusal(text)
    assert error.code == "invalid_merge_tag"
    assert error.field == "body.es"
    assert named in error.message


def test_an_unknown_tag_is_named_and_the_allowed_ones_listed():
    error = refusal("Hi {{ settings.SECRET_KEY }}", field="subject")
    assert error.field == "subject"
    assert error.message == (
        "“{{ settings.SECRET_KEY }}” is not a merge tag. Use one of: {{ first_name }}, "
        "{{ points_balance }}, {{ tier }}, {{ coupon_code }}, {{ coupon_value }}, "
        "{{ coupon_expires }}, {{ card_url }}, {{ shop_name }}, {{ unsubscribe_url }}."
    )


def test_the_first_problem_in_reading_order_is_reported():
    error = refusal("{{ first_name }} {% now %} {{ secret }}")
    assert error.message.startswith("“{% now %} {{ secret }}” is not allowed")


def test_an_unclosed_tag_quotes_a_short_piece_not_the_whole_body():
    error = refusal("{{ first_name " + "word " * 1000)
    assert error.message.startswith("“{{ first_name word word word")
    assert len(error.message) < 120


def test_a_text_over_the_cap_is_refused_with_its_length():
    merge_tags_check(text="a" * MAX_TEXT_LENGTH, field="body.en")
    error = refusal("a" * (MAX_TEXT_LENGTH + 1), field="body.en")
    assert error.field == "body.en"
    assert error.message == "This text is 100001 characters long; at most 100000."


def test_a_tag_smuggled_as_entities_is_refused_once_sanitised():
    # given braces written as character references, which sanitising decodes
    body = "<p>&#123;&#123; settings.SECRET_KEY &#125;&#125;</p>"
    merge_tags_check(text=body, field="body.es")  # the raw text has no braces
    # then the stored (sanitised) body is what is checked, and refused
    assert html_sanitise(html=body) == "<p>{{ settings.SECRET_KEY }}</p>"
    assert "settings.SECRET_KEY" in refusal(html_sanitise(html=body)).message


def test_merge_tags_used_names_the_whitelisted_tags_only():
    text = "{{first_name}}, {{ coupon_code }} {{ coupon_code }} {{ settings.X }}"
    assert merge_tags_used(text=text) == {"first_name", "coupon_code"}
    assert merge_tags_used(text="no tags") == set()


# --- html_sanitise -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Hi<script>alert(1)</script></p>", "<p>Hi</p>"),
        ("<style>p { display: none }</style><p>Hi</p>", "<p>Hi</p>"),
        ('<p style="color:red" class="x" id="y">Hi</p>', "<p>Hi</p>"),
        ('<img src="https://x.test/a.png" onerror="alert(1)">', '<img src="https://x.test/a.png">'),
        ('<p onclick="alert(1)">Hi</p>', "<p>Hi</p>"),
        ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="java&#x09;script:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="data:text/html,<b>x</b>">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="/relative">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<img src="javascript:alert(1)">', "<img>"),
        ('<img src="mailto:a@b.test">', "<img>"),
        ('<img src="https://x.test/a.png" width="100" height="50%">', None),
        ("<iframe src='https://x.test'>inside</iframe><p>Hi</p>", "<p>Hi</p>"),
        ("<p>Hi<!-- {{ settings.X }} --></p>", "<p>Hi</p>"),
        ("<form><input value=x>Hi</form>", "Hi"),
    ],
)
def test_sanitising_drops_scripts_styles_handlers_and_bad_urls(html, expected):
    if expected is None:
        expected = '<img src="https://x.test/a.png" width="100">'
    assert html_sanitise(html=html) == expected


def test_sanitising_keeps_ordinary_formatting_and_adds_rel_to_links():
    html = (
        "<h2>Hola</h2><p><strong>a</strong> <em>b</em> <u>c</u><br>d</p>"
        "<ul><li>one</li></ul><blockquote>q</blockquote>"
        '<a href="https://shop.test/">shop</a> <a href="mailto:hi@shop.test">mail</a>'
        '<table><tbody><tr><td colspan="2">x</td></tr></tbody></table>'
    )
    expected = html.replace('">shop', '" rel="noopener noreferrer">shop').replace(
        '">mail', '" rel="noopener noreferrer">mail'
    )
    assert html_sanitise(html=html) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Hola {{ first_name }}</p>", "<p>Hola {{ first_name }}</p>"),
        ("<p>Hola {{first_name}}</p>", "<p>Hola {{first_name}}</p>"),
        (
            '<a href="{{ card_url }}">card</a>',
            '<a href="{{ card_url }}" rel="noopener noreferrer">card</a>',
        ),
        (
            '<a href=" {{unsubscribe_url}} ">stop</a>',
            '<a href="{{unsubscribe_url}}" rel="noopener noreferrer">stop</a>',
        ),
        (
            '<a href="https://shop.test/?c={{ coupon_code }}&x=1">shop</a>',
            '<a href="https://shop.test/?c={{ coupon_code }}&amp;x=1" rel="noopener noreferrer">'
            "shop</a>",
        ),
        ('<img alt="{{ shop_name }}" src="https://x.test/a.png">', None),
    ],
)
def test_merge_tags_survive_sanitising_in_text_and_links(html, expected):
    assert html_sanitise(html=html) == (expected or html)


@pytest.mark.parametrize("tag", ["{{ first_name }}", "{{ coupon_code }}", "{{ card_url }}#x"])
def test_only_our_own_link_tags_may_be_a_whole_href(tag):
    # a member's data as the whole link could be "javascript:…"; our links are signed URLs
    html = f'<a href="{tag}">x</a>'
    assert html_sanitise(html=html) == '<a rel="noopener noreferrer">x</a>'
    # and an image is never a link tag
    assert html_sanitise(html='<img src="{{ card_url }}">') == "<img>"


def test_a_sanitised_body_escapes_angle_brackets_inside_attributes():
    # the renderer relies on it: in a stored body, a ">" only ever ends a tag
    sanitised = html_sanitise(html='<img alt="a > b < c" src="https://x.test/a.png">')
    assert sanitised == '<img alt="a &gt; b &lt; c" src="https://x.test/a.png">'
    assert html_sanitise(html=sanitised) == sanitised


# --- merge_tags_render ---------------------------------------------------------------


def test_text_mode_puts_values_in_as_they_are():
    text = "Hola {{first_name}}, tienes {{ points_balance }} puntos en {{ shop_name }}"
    values = {"first_name": "<b>Ana</b> & co", "points_balance": "120", "shop_name": "Café"}
    assert merge_tags_render(text=text, values=values, html=False) == (
        "Hola <b>Ana</b> & co, tienes 120 puntos en Café"
    )


def test_html_mode_escapes_values_so_a_member_name_stays_text():
    body = html_sanitise(
        html='<p>Hola {{ first_name }}</p><img alt="{{ first_name }}" src="https://x.test/a.png">'
    )
    for name, shown in [
        ("<b>Ana</b>", "&lt;b&gt;Ana&lt;/b&gt;"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('"><img src=x onerror=alert(1)>', "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
    ]:
        rendered = merge_tags_render(text=body, values={"first_name": name}, html=True)
        assert rendered == (f'<p>Hola {shown}</p><img alt="{shown}" src="https://x.test/a.png">')


def test_a_missing_value_renders_empty_and_unknown_tags_stay_as_written():
    text = "[{{ tier }}] {{ settings.SECRET_KEY }} {% now %}"
    values = {"settings.SECRET_KEY": "leak", "settings": "leak"}
    assert merge_tags_render(text=text, values=values, html=False) == (
        "[] {{ settings.SECRET_KEY }} {% now %}"
    )
    assert merge_tags_render(text=text, values=values, html=True) == (
        "[] {{ settings.SECRET_KEY }} {% now %}"
    )


@pytest.mark.parametrize("html", [False, True])
def test_a_value_is_never_rendered_again(html):
    # given a first name that looks like another tag
    values = {"first_name": "{{ coupon_code }}", "coupon_code": "SECRET10"}
    rendered = merge_tags_render(text="<p>{{ first_name }}</p>", values=values, html=html)
    assert rendered == "<p>{{ coupon_code }}</p>"


def test_our_link_in_an_href_is_attribute_escaped():
    body = html_sanitise(html='<a href="{{ card_url }}">{{ card_url }}</a>')
    rendered = merge_tags_render(text=body, values={"card_url": CARD}, html=True)
    escaped = "https://fideliza.test/c/tok?a=1&amp;b=2"
    assert rendered == f'<a href="{escaped}" rel="noopener noreferrer">{escaped}</a>'


def test_a_link_value_cannot_leave_the_attribute_or_become_a_script():
    body = html_sanitise(
        html='<a href="{{card_url}}">card</a> <a href="{{ unsubscribe_url }}">x</a>'
    )
    values = {"card_url": 'https://x.test/?q="><script>', "unsubscribe_url": "javascript:alert(1)"}
    assert merge_tags_render(text=body, values=values, html=True) == (
        '<a href="https://x.test/?q=&quot;&gt;&lt;script&gt;" rel="noopener noreferrer">card</a>'
        ' <a href="" rel="noopener noreferrer">x</a>'
    )


def test_a_tag_inside_a_written_url_is_percent_encoded():
    body = html_sanitise(html='<a href="https://shop.test/?c={{ coupon_code }}&x=1">shop</a>')
    rendered = merge_tags_render(text=body, values={"coupon_code": 'A B/&?#"'}, html=True)
    assert rendered == (
        '<a href="https://shop.test/?c=A%20B%2F%26%3F%23%22&amp;x=1" rel="noopener noreferrer">'
        "shop</a>"
    )


# --- html_to_text --------------------------------------------------------------------


def test_the_plain_text_part_keeps_paragraphs_breaks_lists_and_links():
    body = html_sanitise(
        html=(
            "<h1>Hola   Ana</h1>\n<p>Tienes <b>120</b> puntos.<br>Gracias &amp; hasta pronto</p>"
            "<ul><li>uno</li><li>dos</li></ul>"
            '<p>Ver <a href="https://f.test/c/x">tu tarjeta</a>, '
            '<a href="https://f.test/">https://f.test/</a> o '
            '<a href="mailto:hi@shop.test">hi@shop.test</a></p>'
        )
    )
    assert html_to_text(html=body) == (
        "Hola Ana\n"
        "\n"
        "Tienes 120 puntos.\n"
        "Gracias & hasta pronto\n"
        "\n"
        "- uno\n"
        "- dos\n"
        "\n"
        "Ver tu tarjeta (https://f.test/c/x), https://f.test/ o hi@shop.test"
    )


def test_the_plain_text_of_a_stored_body_keeps_its_tags_for_a_text_render():
    # given a stored body, turned to text once for a campaign
    body = html_sanitise(
        html='<p>Hola {{ first_name }}</p><p><a href="{{ card_url }}">Tu tarjeta</a></p>'
    )
    text = html_to_text(html=body)
    assert text == "Hola {{ first_name }}\n\nTu tarjeta ({{ card_url }})"
    # then each member's text part is rendered without escaping
    values = {"first_name": "<b>Ana</b>", "card_url": CARD}
    assert merge_tags_render(text=text, values=values, html=False) == (
        f"Hola <b>Ana</b>\n\nTu tarjeta ({CARD})"
    )


# --- sms_segments --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsSize(0, 0, "GSM-7")),
        ("a" * 160, SmsSize(160, 1, "GSM-7")),
        ("a" * 161, SmsSize(161, 2, "GSM-7")),
        ("a" * 306, SmsSize(306, 2, "GSM-7")),  # 2 × 153
        ("a" * 307, SmsSize(307, 3, "GSM-7")),
        ("€" + "a" * 158, SmsSize(160, 1, "GSM-7")),  # the euro sign is 2 septets
        ("€" + "a" * 159, SmsSize(161, 2, "GSM-7")),
        ("{" * 80, SmsSize(160, 1, "GSM-7")),
        ("{" * 81, SmsSize(162, 2, "GSM-7")),
        ("ș" * 70, SmsSize(70, 1, "UCS-2")),
        ("ș" * 71, SmsSize(71, 2, "UCS-2")),
        ("ș" * 134, SmsSize(134, 2, "UCS-2")),  # 2 × 67
        ("ș" * 135, SmsSize(135, 3, "UCS-2")),
        ("😀" * 35, SmsSize(70, 1, "UCS-2")),  # an emoji is 2 UTF-16 code units
        ("😀" * 35 + "a", SmsSize(71, 2, "UCS-2")),
        # 33 emoji fill 66 of a part's 67 units and a pair is never cut: 33 + 33 + 1
        ("😀" * 67, SmsSize(134, 3, "UCS-2")),
        # "¿Qué? ¡Señor Müller!": 5 + 1 + 6 + 1 + 7 letters, all in the GSM-7 table
        ("¿Qué? ¡Señor Müller!", SmsSize(20, 1, "GSM-7")),
        ("ñ" * 160, SmsSize(160, 1, "GSM-7")),
        ("Mulțumim", SmsSize(8, 1, "UCS-2")),
        ("Gracias, José", SmsSize(13, 1, "GSM-7")),  # "é" is in the table
        ("Gracias, Ramón", SmsSize(14, 1, "UCS-2")),  # "ó" is not
    ],
)
def test_sms_segments_at_the_boundaries(text, expected):
    assert sms_segments(text=text) == expected


@pytest.mark.parametrize("letter", ["ñ", "Ñ", "ü", "é", "¿", "¡"])
def test_these_spanish_letters_are_gsm7(letter):
    assert sms_segments(text=letter * 160) == SmsSize(160, 1, "GSM-7")


@pytest.mark.parametrize("letter", ["á", "í", "ó", "ú", "Á", "ș", "ț", "ă", "â", "î", "Ș", "Ț"])
def test_these_spanish_and_romanian_letters_make_an_sms_unicode(letter):
    # one such letter in 159 plain ones: UCS-2, so 160 units need 3 parts of 67
    assert sms_segments(text="a" * 159 + letter) == SmsSize(160, 3, "UCS-2")
