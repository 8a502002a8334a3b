"""Every kind's default texts, in each of our languages, pass the merge-tag check with the
whitelist and the kind's own tags, and name no other kind's tag."""

import pytest
from django.utils import translation

from apps.campaigns.automations.kinds import KINDS
from apps.campaigns.merge_tags import (
    KIND_TAG_DESCRIPTIONS,
    MERGE_TAGS,
    html_sanitise,
    merge_tags_check,
    merge_tags_used,
)
from apps.core.languages import language_codes


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("language", language_codes())
def test_default_texts_use_only_the_tags_their_kind_may(kind, language):
    spec = KINDS[kind]
    allowed = (*MERGE_TAGS, *spec.tags)
    texts = [spec.subject, spec.body, spec.sms_body, spec.coupon_body, spec.coupon_sms_body]
    with translation.override(language):
        for text in filter(None, texts):
            text = str(text)
            merge_tags_check(text=text, field="body", allowed=allowed)
            assert merge_tags_used(text=text) <= set(allowed)
            assert merge_tags_used(text=text) & set(KIND_TAG_DESCRIPTIONS) <= spec.tags
    with translation.override(language):
        body = str(spec.body)
        # sent sanitised, as stored bodies are: every tag survives it
        assert merge_tags_used(text=html_sanitise(html=body)) == merge_tags_used(text=body)


def test_a_campaign_may_not_use_an_automations_tag():
    from apps.campaigns.merge_tags import MergeTagInvalid

    with pytest.raises(MergeTagInvalid):
        merge_tags_check(text="{{ expiring_points }} points", field="body")
