"""HubSpot deals export: `Record ID`, `Deal Name`, `Deal Stage` (labels or internal ids such as `closedwon`)."""

from __future__ import annotations

from .base import Format
from .headers import normalized_set


class HubSpot(Format):
    name = "hubspot"
    kind = "crm"
    label = "HubSpot deals export"
    synonyms = {
        "opportunity_id": ("recordid", "objectid"),
        "account_name": ("associatedcompany",),
        "owner_id": ("hubspotownerid",),
        "lead_source": ("originalsource",),
    }

    def detect(self, headers: list[str]) -> bool:
        normalized = normalized_set(headers)
        return "recordid" in normalized and ("dealstage" in normalized or "dealname" in normalized)
