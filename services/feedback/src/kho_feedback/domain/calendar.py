"""Working days of the agencies: Monday to Friday, minus configured public holidays, plus configured
compensatory working days (a Saturday worked in exchange for a bridge day off)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)
    utc_offset_hours: int = 7  # Vietnam has no daylight saving time

    @classmethod
    def of(
        cls, holidays: Iterable[date] = (), extra_working_days: Iterable[date] = (), utc_offset_hours: int = 7
    ) -> WorkingCalendar:
        return cls(frozenset(holidays), frozenset(extra_working_days), utc_offset_hours)

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(hours=self.utc_offset_hours))

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def deadline(self, opened_at: datetime, working_days: int) -> date:
        """The last day of the response time: `working_days` working days after the (local) opening day; the
        opening day itself does not count, as a dispute may arrive at any hour."""
        day = self.local_date(opened_at)
        left = working_days
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def overdue_at(self, deadline: date) -> datetime:
        """The moment a dispute still open becomes overdue: the local midnight that ends its deadline day."""
        return datetime.combine(deadline + timedelta(days=1), time.min, self.tz)
