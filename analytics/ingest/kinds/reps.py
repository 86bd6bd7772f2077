"""The rep roster: name (or first + last), email, team, region, manager, hire date, CRM user id."""

from __future__ import annotations

from ..staging import Context, person_columns
from .base import Kind

REP_COLUMNS = ("rep_name", "rep_email", "crm_user_id", "team", "region", "manager", "hire_date", "is_roster")


class Reps(Kind):
    name = "reps"
    label = "Rep roster"
    noun = "a rep roster"
    synonyms = {
        "crm_user_id": ("userid", "crmuserid", "salesforceid", "ownerid", "id"),
        "rep_name": ("name", "fullname", "rep", "repname", "salesagent", "salesrep", "employee", "employeename"),
        "first_name": ("firstname", "givenname"),
        "last_name": ("lastname", "surname", "familyname"),
        "rep_email": ("email", "emailaddress", "workemail", "repemail"),
        "team": ("team", "teamname", "salesteam", "pod", "squad"),
        "region": ("region", "regionaloffice", "office", "territory", "geo"),
        "manager": ("manager", "managername", "reportsto", "salesmanager"),
        "hire_date": ("hiredate", "startdate", "hired", "joined", "dateofhire"),
    }
    # what each field's values look like, for inference (see analytics/ingest/infer.py value_score)
    value_types = {
        "crm_user_id": "crm_id", "rep_name": "person", "first_name": "name_part", "last_name": "name_part",
        "rep_email": "email", "team": "category", "region": "category", "manager": "person", "hire_date": "date",
    }
    required = (("rep_name", "rep_email", "last_name"),)
    date_fields = ("hire_date",)
    versions = "rep_versions"
    key = "roster_key"
    columns = REP_COLUMNS
    load_order = 1
    stale_after_days = 90

    def stage(self, ctx: Context) -> str:
        """Roster rows keyed by email, else by normalized name."""
        return stage_person(ctx, is_roster=True)


def stage_person(ctx: Context, is_roster: bool) -> str:
    """A roster row (team, region, manager, hire date) or a CRM user (id, name, email only)."""
    s = ctx.select
    s["rep_email"], s["rep_name"] = person_columns(ctx)
    s["crm_user_id"] = ctx.text("crm_user_id")
    for f in ("team", "region", "manager"):
        s[f] = ctx.text(f) if is_roster else "NULL::VARCHAR"
    s["hire_date"] = ctx.date("hire_date") if is_roster else "NULL::DATE"
    s["is_roster"] = "true" if is_roster else "false"
    ctx.required(f"coalesce({s['rep_email']}, {s['rep_name']})", "rep name or email")
    if not is_roster:
        ctx.required(s["crm_user_id"], "user id")
        return f"'crmuser:' || {s['crm_user_id']}"
    return f"coalesce('email:' || email_key({s['rep_email']}), 'name:' || name_key({s['rep_name']}))"
