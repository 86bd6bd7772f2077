"""Upload kinds: one object per kind of export Huddle loads, collected in a registry by name.

A new kind is one module here with a `Kind` subclass, listed in `register_kinds()`, plus its tables in sql/schema/.
"""

from __future__ import annotations

from .activity import Activity
from .base import Fact, Kind
from .crm import STATUS_WORDS, Crm, default_outcome
from .crm_users import CrmUsers
from .feedback import Feedback
from .messages import Messages
from .quiz import Quiz
from .reps import Reps

__all__ = ["FACT_KINDS", "KINDS", "STATUS_WORDS", "UPLOAD_KINDS", "Fact", "Kind", "default_outcome", "kind_of_file",
           "register_kinds", "version_tables"]


def register_kinds() -> list[Kind]:
    """Every upload kind, in the order people see them."""
    return [Crm(), CrmUsers(), Quiz(), Feedback(), Messages(), Reps(), Activity()]


KINDS: dict[str, Kind] = {k.name: k for k in register_kinds()}
# The kinds a person uploads by name (command line, upload page); CRM users arrive as `crm`.
UPLOAD_KINDS: tuple[str, ...] = tuple(name for name, k in KINDS.items() if k.upload_as is None)
# Kinds kept as current fact tables, in the order they are rebuilt.
FACT_KINDS: tuple[Kind, ...] = tuple(k for k in KINDS.values() if k.fact is not None)


def kind_of_file(kind: str, headers: list[str], column_map: dict[str, str] | None = None) -> Kind:
    """The kind a file uploaded as `kind` really is (a CRM upload may be a User export), unless mapped by hand."""
    if not column_map:
        for k in KINDS.values():
            if k.upload_as == kind and k.recognizes(list(headers)):
                return k
    return KINDS[kind]


def version_tables() -> list[str]:
    """Every versions table, once each (undo deletes an upload's rows from all of them)."""
    return list(dict.fromkeys(k.versions for k in KINDS.values()))
