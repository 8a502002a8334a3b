"""Writes for members: enroll, update, consent, notes, tags, merge, erase.

The counter, the manager pages, the CSV import and (later) the API all call these.
"""

from apps.members.services.checks import (
    DuplicateMember,
    clean_email,
    clean_language,
    clean_name_part,
    clean_phone,
)
from apps.members.services.enrollment import (
    BulkOutcome,
    EnrollResult,
    member_enroll,
    members_enroll_many,
)
from apps.members.services.merge_and_erase import member_erase, member_merge
from apps.members.services.preferences import (
    member_consent_set,
    member_language_set,
    member_links_revoke,
)
from apps.members.services.profile import member_add_note, member_update
from apps.members.services.timeline import (
    FIELD_WORDS,
    SOURCE_WORDS,
    enrollment_summary,
    event_record,
)
from apps.members.services.webhooks import member_enrolled_webhook, member_webhook_data

__all__ = [
    "FIELD_WORDS",
    "SOURCE_WORDS",
    "BulkOutcome",
    "DuplicateMember",
    "EnrollResult",
    "clean_email",
    "clean_language",
    "clean_name_part",
    "clean_phone",
    "enrollment_summary",
    "event_record",
    "member_add_note",
    "member_consent_set",
    "member_enroll",
    "member_enrolled_webhook",
    "member_erase",
    "member_language_set",
    "member_links_revoke",
    "member_merge",
    "member_update",
    "member_webhook_data",
    "members_enroll_many",
]
