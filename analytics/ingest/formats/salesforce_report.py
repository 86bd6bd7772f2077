"""Salesforce report export ("Details Only"): field labels such as `Opportunity Owner`, dates in the user's locale."""

from __future__ import annotations

from .base import Format
from .headers import normalized_set


class SalesforceReport(Format):
    name = "salesforce_report"
    kind = "crm"
    label = "Salesforce report export"
    synonyms = {
        "opportunity_id": ("opportunity18digitid",),
        "owner_name": ("opportunityownerfullname", "accountowner"),
        "amount": ("amountconverted",),
        "deal_type": ("opportunityrecordtype",),
    }
    day_first = False      # US locale; European reports are `;`-delimited, which the staging reads as day first

    def detect(self, headers: list[str]) -> bool:
        normalized = normalized_set(headers)
        return "opportunityowner" in normalized or ("opportunityname" in normalized and " " in " ".join(headers))
