"""Salesforce User export (`Id, Name, Email`), uploaded beside a Data Loader export to resolve `OwnerId`."""

from __future__ import annotations

from .base import Format


class SalesforceUsers(Format):
    name = "salesforce_users"
    kind = "crm_users"
    label = "Salesforce User export"

    def detect(self, headers: list[str]) -> bool:
        return True
