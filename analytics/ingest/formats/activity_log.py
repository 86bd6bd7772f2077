"""The activity kind's fallback and its transcript bundle: any call or activity log no named tool claims, and the
CSV Huddle writes from a batch of transcript files (one row per file, analytics/ingest/transcripts.py)."""

from __future__ import annotations

from .base import Format
from .generic import Generic
from .headers import normalized_set


class TranscriptFiles(Format):
    name = "transcript_files"
    kind = "activity"
    label = "Transcript files (.vtt, .srt, .txt)"
    activity_type = "call"

    def detect(self, headers: list[str]) -> bool:
        return "transcriptfile" in normalized_set(headers)


class ActivityLog(Generic):
    activity_type = "call"
    duration_unit = "s"


ACTIVITY_LOG = ActivityLog("activity_log", "activity", "Activity log (calls, meetings, emails or notes)")
