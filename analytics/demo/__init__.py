"""Seeded demo company: realistic CRM, LMS, feedback, catalog and roster exports with planted, known truths.

`truth` holds what is planted (effects, forgetting law), `world` draws the company, `exports` writes it in the real
formats the ingestion reads.
"""

from __future__ import annotations

from .exports import generate, write_exports
from .truth import (DISLIKED_MESSAGE, DISLIKED_THEMES, FORGETTING, MESSAGES, NEGATIVE_MESSAGE, OUTCOMES, QUIET_TEAM,
                    WIN_MODEL, DemoMessage, expected_score, message_schedule)
from .world import World, build_world

__all__ = ["DISLIKED_MESSAGE", "DISLIKED_THEMES", "FORGETTING", "MESSAGES", "NEGATIVE_MESSAGE", "OUTCOMES",
           "QUIET_TEAM", "WIN_MODEL", "DemoMessage", "World", "build_world", "expected_score", "generate",
           "message_schedule", "write_exports"]
