"""Writes of campaigns: segments, campaigns and their sending, offers, clicks."""

from apps.campaigns.services.segments import segment_create, segment_delete, segment_update

__all__ = ["segment_create", "segment_delete", "segment_update"]
