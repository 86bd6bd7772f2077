"""CRM users (a Salesforce User export: Id, Name, Email) uploaded as `crm`, so OwnerId resolves to a rep."""

from __future__ import annotations

from ..formats import norm
from ..staging import Context
from .base import Kind
from .reps import REP_COLUMNS, stage_person


class CrmUsers(Kind):
    name = "crm_users"
    label = "CRM users"
    noun = "a CRM user export"
    synonyms = {
        "crm_user_id": ("id", "userid", "ownerid"),
        "rep_name": ("name", "fullname", "username"),
        "first_name": ("firstname",),
        "last_name": ("lastname",),
        "rep_email": ("email", "emailaddress"),
    }
    # what each field's values look like, for inference (see analytics/ingest/infer.py value_score)
    value_types = {
        "crm_user_id": "crm_id", "rep_name": "person", "first_name": "name_part", "last_name": "name_part",
        "rep_email": "email",
    }
    required = (("crm_user_id",), ("rep_name", "rep_email", "last_name"))
    versions = "rep_versions"
    key = "roster_key"
    columns = REP_COLUMNS
    load_order = 2
    upload_as = "crm"

    def recognizes(self, headers: list[str]) -> bool:
        """A User export (an id and an email, none of a deal's columns) uploaded beside the opportunities."""
        normalized = {norm(h) for h in headers}
        return bool("id" in normalized and ({"email", "username"} & normalized) and not (
            {"stagename", "stage", "dealstage", "amount"} & normalized))

    def stage(self, ctx: Context) -> str:
        """CRM users keyed by their user id; no team or region (the roster supplies those)."""
        return stage_person(ctx, is_roster=False)
