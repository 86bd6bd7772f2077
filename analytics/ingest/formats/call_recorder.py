"""Conversation-intelligence call exports (Gong, Chorus, and tools like them): a call id, when it started, the host,
its title, the linked deal, the duration, and the transcript or the call's brief."""

from __future__ import annotations

from .base import Format
from .headers import normalized_set

MARKERS = {"callid", "conversationid", "gongcallid", "chorusid", "callurl", "gongurl", "primaryuser",
           "primaryuserid", "primaryuseremail", "conversationtype", "conversationkey", "calltranscript", "transcript",
           "callbrief", "brief", "callspotlight", "host", "hostemail"}


class CallRecorder(Format):
    name = "call_recorder"
    kind = "activity"
    label = "Call recorder export (Gong, Chorus)"
    synonyms = {
        "activity_id": ("gongcallid", "chorusid", "conversationkey", "callurl"),
        "activity_type": ("conversationtype", "direction"),
        "activity_at": ("actualstart", "scheduledstart", "conversationdatetime", "conversationdate", "started",
                        "callstarted", "callstart"),
        "rep_email": ("primaryuseremail", "hostemail", "callowneremail"),
        "rep_name": ("primaryuser", "host", "callowner", "hostname"),
        "rep_crm_id": ("primaryuserid", "hostid"),
        "deal_ref": ("crmopportunityid", "crmdealid", "linkedopportunityid"),
        "deal_name": ("crmopportunity", "linkedopportunity", "linkeddeal"),
        "body": ("calltranscript", "transcript", "callbrief", "brief", "callspotlight", "spotlight"),
    }
    activity_type = "call"
    duration_unit = "s"          # Gong's duration is in seconds; clock values (0:32:10) read as such

    def detect(self, headers: list[str]) -> bool:
        return bool(MARKERS & normalized_set(headers))
