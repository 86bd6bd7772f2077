"""The sidebar filters shared by every page, as bound SQL parameters (never formatted into SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from analytics.db import sql


@dataclass(frozen=True)
class Filters:
    """Date range on deal close / attempt / feedback dates, and rep and deal attributes; empty = everything."""

    start: date | None = None
    end: date | None = None
    teams: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()          # message_id values
    rep_ids: tuple[str, ...] | None = None  # None = all reps; set by access control for managers

    def params(self) -> dict:
        """Bound parameters matching the WHERE clauses of sql/queries/ ($start, $end, $teams, ...)."""
        return {
            "start": self.start, "end": self.end,
            "teams": list(self.teams), "regions": list(self.regions), "managers": list(self.managers),
            "segments": list(self.segments), "messages": list(self.messages),
            "rep_ids": None if self.rep_ids is None else list(self.rep_ids),
        }

    @property
    def is_empty(self) -> bool:
        return self == Filters(rep_ids=self.rep_ids)


# The rep-scope predicate over a reps alias `r` (sql/macros/rep_scope.sql), as the queries include it.
REP_PREDICATE = sql("macros/rep_scope.sql")


def options(con) -> dict[str, list]:
    """Values offered by the sidebar filters."""
    def col(q):
        return [r[0] for r in con.execute(q).fetchall()]
    return {
        "teams": col("SELECT DISTINCT team FROM reps WHERE team IS NOT NULL ORDER BY 1"),
        "regions": col("SELECT DISTINCT region FROM reps WHERE region IS NOT NULL ORDER BY 1"),
        "managers": col("SELECT DISTINCT manager FROM reps WHERE manager IS NOT NULL ORDER BY 1"),
        "segments": col("SELECT DISTINCT segment FROM opportunities WHERE segment IS NOT NULL ORDER BY 1"),
        "messages": con.execute("SELECT message_id, message_name FROM messages ORDER BY launch_date, message_name"
                                ).fetchall(),
        "date_range": con.execute("SELECT least(min(close_date), min(created_date)), max(close_date) "
                                  "FROM opportunities").fetchone(),
    }
