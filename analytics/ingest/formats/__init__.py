"""Export formats: one object per tool that writes an upload kind's files, in detection order.

A new format is one module here with a `Format` subclass, listed in `register_formats()`. Named tools are detected in
list order, each kind's fallback last; a format's header spellings are tried after those already known, so a new
format cannot change how existing exports are read.
"""

from __future__ import annotations

from .activity_log import ACTIVITY_LOG, TranscriptFiles
from .base import Format
from .call_recorder import CallRecorder
from .generic import FEEDBACK_LOG, GENERIC_CRM, LMS, MESSAGE_CATALOG, ROSTER
from .google_forms import GoogleForms
from .headers import norm
from .hubspot import HubSpot
from .hubspot_activity import HUBSPOT_ACTIVITIES
from .moodle import Moodle
from .pipedrive import Pipedrive
from .salesforce_dataloader import SalesforceDataLoader
from .salesforce_activity import SalesforceEvent, SalesforceTask
from .salesforce_report import SalesforceReport
from .salesforce_users import SalesforceUsers

__all__ = ["FORMATS", "Format", "detect", "formats_of", "norm", "register_formats"]


def register_formats() -> list[Format]:
    """Every known format; within a kind the first named tool whose `detect` accepts the headers wins."""
    return [Pipedrive(), HubSpot(), SalesforceDataLoader(), SalesforceReport(), GENERIC_CRM,
            SalesforceUsers(),
            Moodle(), GoogleForms(), LMS,
            FEEDBACK_LOG, MESSAGE_CATALOG, ROSTER,
            TranscriptFiles(), CallRecorder(), *HUBSPOT_ACTIVITIES, SalesforceEvent(), SalesforceTask(), ACTIVITY_LOG]


FORMATS: dict[str, Format] = {f.name: f for f in register_formats()}


def formats_of(kind: str) -> list[Format]:
    """The formats of one upload kind, in detection order."""
    return [f for f in FORMATS.values() if f.kind == kind]


def detect(kind: str, headers: list[str]) -> Format:
    """The format that wrote a file of `kind`, judged by its headers (the kind's fallback when no tool claims it)."""
    for f in sorted(formats_of(kind), key=lambda f: f.fallback):      # stable: list order within each group
        if f.detect(headers):
            return f
    raise LookupError(f"no format registered for {kind} files")
