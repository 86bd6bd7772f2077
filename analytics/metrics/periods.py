"""Reporting periods: the selected date range (ending no later than today) and the equally long one before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from analytics.filters import Filters


@dataclass(frozen=True)
class Period:
    """A closed date range [start, end] and the equally long range just before it."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length ending the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)


def period_of(filters: Filters, today: date) -> Period:
    """The selected period: the sidebar dates, ending no later than today (what is known now)."""
    end = min(filters.end or today, today)
    start = min(filters.start or end, end)
    return Period(start, end)
