"""Salesforce Data Loader / weekly Data Export: API names (`StageName`, `IsWon`, `OwnerId`), dates month first."""

from __future__ import annotations

from .base import Format
from .headers import normalized_set


class SalesforceDataLoader(Format):
    name = "salesforce_dataloader"
    kind = "crm"
    label = "Salesforce Data Loader export"
    synonyms = {
        "stage": ("stagename",),
        "is_won": ("iswon",),
        "is_closed": ("isclosed",),
        "amount_currency": ("currencyisocode",),
    }
    day_first = False

    def detect(self, headers: list[str]) -> bool:
        normalized = normalized_set(headers)
        return "stagename" in normalized or "iswon" in normalized or ("ownerid" in normalized and "id" in normalized)
