"""The fallback format of each kind: files no named tool claims (BI exports, spreadsheets, launch plan, roster)."""

from __future__ import annotations

import re

from .base import Format


class Generic(Format):
    """Always detected, and tried after every named tool of its kind."""

    fallback = True

    def __init__(self, name: str, kind: str, label: str):
        self.name, self.kind, self.label = name, kind, label

    def detect(self, headers: list[str]) -> bool:
        return True


class FeedbackLog(Generic):
    """Feedback logs may state the rating scale in the header: `Rating (1-10)`, `Stars out of 5`."""

    RATING = ("rating", "score", "stars", "csat", "reception")
    SCALE = re.compile(r"(\d+to\d+|outof\d+|of\d+|\d+)$")

    def header_alias(self, normalized: str) -> str | None:
        base = self.SCALE.sub("", normalized)
        return base if base != normalized and base in self.RATING else None


GENERIC_CRM = Generic("generic", "crm", "CRM export (generic, e.g. snake_case BI exports)")
LMS = Generic("lms", "quiz", "LMS / practice platform results")
FEEDBACK_LOG = FeedbackLog("feedback_log", "feedback", "Field feedback log")
MESSAGE_CATALOG = Generic("message_catalog", "messages", "Message catalog (launch plan)")
ROSTER = Generic("roster", "reps", "Rep roster")
