"""Salesforce activities: Task and Event exports (Data Loader API names or report labels). A Task is a call, an email
or a to-do by its TaskSubtype / Type; an Event is a meeting. Related To (WhatId) names the opportunity."""

from __future__ import annotations

from .base import Format
from .headers import normalized_set

EVENT = {"startdatetime", "enddatetime", "isalldayevent", "alldayevent", "eventsubtype", "durationinminutes",
         "activitydatetime", "location"}
TASK = {"tasksubtype", "calldurationinseconds", "calltype", "calldisposition", "callresult", "duedate", "status",
        "priority", "activitydate", "whatid", "whoid", "relatedto", "assignedto", "comments", "fullcomments"}


def _salesforce(normalized: set[str]) -> bool:
    """Subject beside a Salesforce activity field (WhatId, Assigned To, Related To, Comments, ...)."""
    return "subject" in normalized and bool((EVENT | TASK) & normalized)


class SalesforceEvent(Format):
    name = "salesforce_event"
    kind = "activity"
    label = "Salesforce Event export"
    synonyms = {
        "activity_id": ("eventid",),
        "activity_type": ("eventsubtype", "type"),
        "activity_at": ("startdatetime", "activitydatetime", "start", "activitydate"),
        "rep_name": ("assignedto", "owner"),
        "rep_crm_id": ("ownerid", "assignedtoid"),
        "deal_ref": ("whatid", "relatedtoid"),
        "deal_name": ("relatedto",),
        "duration": ("durationinminutes",),
        "body": ("description", "comments"),
    }
    activity_type = "meeting"
    duration_unit = "min"        # DurationInMinutes, labelled "Duration"
    day_first = False

    def detect(self, headers: list[str]) -> bool:
        normalized = normalized_set(headers)
        return _salesforce(normalized) and bool(EVENT & normalized) and "tasksubtype" not in normalized


class SalesforceTask(Format):
    name = "salesforce_task"
    kind = "activity"
    label = "Salesforce Task export"
    synonyms = {
        "activity_id": ("taskid",),
        "activity_type": ("tasksubtype", "type"),
        "activity_at": ("activitydate", "duedate", "completeddatetime", "date"),
        "rep_name": ("assignedto", "owner"),
        "rep_crm_id": ("ownerid", "assignedtoid"),
        "deal_ref": ("whatid", "relatedtoid"),
        "deal_name": ("relatedto",),
        "duration": ("calldurationinseconds", "callduration"),
        "body": ("description", "comments", "fullcomments"),
    }
    activity_type = "task"
    duration_unit = "s"          # CallDurationInSeconds
    day_first = False

    def detect(self, headers: list[str]) -> bool:
        return _salesforce(normalized_set(headers))
