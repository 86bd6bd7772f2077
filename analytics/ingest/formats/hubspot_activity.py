"""HubSpot activity exports (calls, notes, emails, meetings): `Record ID`, `Activity date`, `Activity assigned to`,
the body (`Call notes`, `Note body`, `Email body`), and the associated deal (`Associated Deal`, its IDs)."""

from __future__ import annotations

from .base import Format
from .headers import normalized_set

MARKERS = {
    "call": {"callnotes", "hscallbody", "calltitle", "hscalltitle", "callduration", "hscallduration", "calloutcome"},
    "email": {"emailbody", "emailtext", "hsemailtext", "emailsubject", "hsemailsubject"},
    "meeting": {"meetingname", "meetingdescription", "hsmeetingtitle", "hsmeetingbody", "meetingoutcome"},
    "note": {"notebody", "hsnotebody"},
}
# HubSpot's own columns on any activity export: with the record id they tell a HubSpot file whose body is unnamed.
HUBSPOT = {"activityassignedto", "associateddeal", "associateddealids", "hubspotownerid", "hstimestamp"}


class HubSpotActivity(Format):
    """One HubSpot activity object's export; the body's header says which (Call notes, Note body, Email body)."""

    kind = "activity"
    synonyms = {
        "activity_id": ("recordid", "hsobjectid", "objectid", "engagementid"),
        "activity_type": ("activitytype", "engagementtype", "hsactivitytype"),
        "activity_at": ("activitydate", "hstimestamp", "createdate", "hscreatedate"),
        "rep_email": ("activityassignedtoemail", "owneremail"),
        "rep_name": ("activityassignedto", "hubspotowner", "activityowner", "createdby"),
        "rep_crm_id": ("hubspotownerid", "ownerid"),
        "deal_ref": ("associateddealids", "associateddealid", "dealids"),
        "deal_name": ("associateddeal", "associateddeals"),
        "title": ("calltitle", "hscalltitle", "emailsubject", "hsemailsubject", "meetingname", "hsmeetingtitle"),
        "duration": ("callduration", "hscallduration", "hsmeetingduration"),
        "body": ("callnotes", "hscallbody", "notebody", "hsnotebody", "emailbody", "emailtext", "hsemailtext",
                 "meetingdescription", "hsmeetingbody"),
    }
    duration_unit = "ms"         # hs_call_duration is in milliseconds

    def __init__(self, activity_type: str):
        self.activity_type = activity_type
        self.name = f"hubspot_{activity_type}s"
        self.label = f"HubSpot {activity_type}s export"

    def detect(self, headers: list[str]) -> bool:
        normalized = normalized_set(headers)
        if MARKERS[self.activity_type] & normalized:
            return True
        # notes, the last tried: a HubSpot activity export none of whose columns names its object
        return self.activity_type == "note" and "recordid" in normalized and bool(HUBSPOT & normalized)


HUBSPOT_ACTIVITIES = [HubSpotActivity(t) for t in ("call", "email", "meeting", "note")]
