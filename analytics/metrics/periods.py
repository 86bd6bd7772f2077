"""Reporting periods: the selected date range (ending no later than today), the one before it, the last full quarter."""

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

    @property
    def is_quarter(self) -> bool:
        """True for exactly one calendar quarter (1 Jan-31 Mar, 1 Apr-30 Jun, ...)."""
        return self.start.day == 1 and self.start.month % 3 == 1 and quarter_of(self.start) == self

    def previous(self) -> Period:
        """The calendar quarter before a quarter, else the period of the same length ending the day before."""
        end = self.start - timedelta(days=1)
        if self.is_quarter:
            return quarter_of(end)
        return Period(end - timedelta(days=self.days - 1), end)

    def label(self) -> str:
        """'Q3 2026' for a calendar quarter, else '01 Jul 2026 to 30 Sep 2026'."""
        if self.is_quarter:
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        return f"{self.start:%d %b %Y} to {self.end:%d %b %Y}"


def quarter_of(day: date) -> Period:
    """The calendar quarter holding a day."""
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    following = date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1)
    return Period(first, following - timedelta(days=1))


def last_full_quarter(today: date) -> Period:
    """The latest calendar quarter that has ended by today (today's own quarter if today is its last day)."""
    current = quarter_of(today)
    return current if current.end == today else quarter_of(current.start - timedelta(days=1))


def default_period(today: date, first_day: date | None) -> Period | None:
    """The landing page's default: the last full quarter (vs the one before), if the data reaches back to it."""
    quarter = last_full_quarter(today)
    return quarter if first_day is not None and first_day <= quarter.start else None


def period_of(filters: Filters, today: date) -> Period:
    """The selected period: the sidebar dates, ending no later than today (what is known now)."""
    end = min(filters.end or today, today)
    start = min(filters.start or end, end)
    return Period(start, end)
