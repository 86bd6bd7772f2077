"""Seeded demo company: realistic CRM, LMS, feedback, catalog, roster and call-recorder exports with planted, known
truths.

`truth` holds what is planted (effects, forgetting law, message use in calls), `world` draws the company, `calls`
its calls (sentences from `talk`), `exports` writes it in the real formats the ingestion reads.
"""

from __future__ import annotations

from .exports import CALL_COLUMNS, generate, write_exports
from .names import FIRST_NAMES
from .talk import PROSPECT_NEGATIVES, REP_NEGATIVES, TALK_TRACKS
from .truth import (CALLS, DISLIKED_MESSAGE, DISLIKED_THEMES, FORGETTING, MESSAGES, NEGATIVE_MESSAGE, OUTCOMES,
                    QUIET_TEAM, TRANSFER_GAP_MESSAGE, WIN_MODEL, DemoMessage, expected_score, message_schedule)
from .world import World, build_world

__all__ = ["CALLS", "CALL_COLUMNS", "DISLIKED_MESSAGE", "DISLIKED_THEMES", "FIRST_NAMES", "FORGETTING", "MESSAGES",
           "NEGATIVE_MESSAGE", "OUTCOMES", "PROSPECT_NEGATIVES", "QUIET_TEAM", "REP_NEGATIVES", "TALK_TRACKS",
           "TRANSFER_GAP_MESSAGE", "WIN_MODEL", "DemoMessage", "World", "build_world", "expected_score", "generate",
           "message_schedule", "write_exports"]
