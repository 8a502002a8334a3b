"""Sections other apps add to the member page (tier, coupons, referrals).

Each app registers a `MemberPanel` in its `AppConfig.ready()`: a view name taking the
member's `public_id`, loaded by htmx after the page so one slow section never holds the
others up, with a plain link as the fallback. The view answers the section alone.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class MemberPanel:
    url_name: str
    label: str  # the fallback link's text
    order: int = 100


MEMBER_PANELS: list[MemberPanel] = []


def member_panels() -> list[MemberPanel]:
    return sorted(MEMBER_PANELS, key=lambda panel: panel.order)
