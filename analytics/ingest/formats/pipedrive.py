"""Pipedrive deals export: every header is `Deal - X`; the outcome is `Deal - Status` open / won / lost."""

from __future__ import annotations

from .base import Format


class Pipedrive(Format):
    name = "pipedrive"
    kind = "crm"
    label = "Pipedrive deals export"
    synonyms = {
        "opportunity_id": ("dealid",),
        "account_name": ("dealorganization",),
        "status": ("dealstatus",),
        "amount_currency": ("dealcurrency",),
        "amount": ("dealvalue",),
        "close_date": ("dealexpectedclosedate",),
        "won_time": ("dealwontime", "wontime"),
        "lost_time": ("deallosttime", "losttime"),
        "created_date": ("dealdealcreated", "dealcreated", "dealaddtime", "addtime"),
    }

    def detect(self, headers: list[str]) -> bool:
        return any(h.strip().lower().startswith("deal - ") for h in headers)

    def prefixed_alias(self, normalized: str) -> str | None:
        return normalized[4:] if normalized.startswith("deal") else None
