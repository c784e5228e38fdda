"""Cron schedules as CronJobs read them (robfig/cron v3's standard parser, which Kubernetes uses).

Five fields: minute hour day-of-month month day-of-week; `*` and `?`, ranges `a-b`, steps `*/n`, `a-b/n`
and `a/n` (= a-max/n), lists, month and weekday names (JAN, mon; case-insensitive), and the descriptors
@yearly/@annually, @monthly, @weekly, @daily/@midnight, @hourly. As in cron, when both day fields are
restricted a day matches if either does; times are wall-clock times in the schedule's time zone.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = {n: i for i, n in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
DAYS = {n: i for i, n in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}
DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
               "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
# (name, min, max, names) per field
FIELDS = [("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}), ("month", 1, 12, MONTHS),
          ("day of week", 0, 6, DAYS)]
SEARCH_DAYS = 366 * 5  # far enough for Feb 29 on a given weekday; beyond that a schedule never fires


class ScheduleError(ValueError):
    pass


def _number(text: str, names: dict) -> int:
    if text.upper() in names:
        return names[text.upper()]
    try:
        return int(text)
    except ValueError:
        raise ScheduleError(f"failed to parse int from {text}") from None


def _parse_field(text: str, low: int, high: int, names: dict) -> tuple[set[int], bool]:
    """The values a field allows, and whether it was an unrestricted star (robfig's starBit)."""
    values: set[int] = set()
    star = False
    for part in text.split(","):
        range_part, _, step_text = part.partition("/")
        step = _number(step_text, {}) if step_text else 1
        if step_text and step <= 0:
            raise ScheduleError(f"step of range should be a positive number: {part}")
        if range_part in ("*", "?"):
            start, end = low, high
            star = star or step == 1
        else:
            a, dash, b = range_part.partition("-")
            start = _number(a, names)
            end = _number(b, names) if dash else (high if step_text else start)
        if start < low:
            raise ScheduleError(f"beginning of range ({start}) below minimum ({low}): {part}")
        if end > high:
            raise ScheduleError(f"end of range ({end}) above maximum ({high}): {part}")
        if start > end:
            raise ScheduleError(f"beginning of range ({start}) beyond end of range ({end}): {part}")
        values.update(range(start, end + 1, step))
    return values, star


@dataclass(frozen=True)
class Schedule:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_star: bool
    weekdays_star: bool
    tz: dt.tzinfo

    def _day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months:
            return False
        dom = day.day in self.days
        dow = (day.weekday() + 1) % 7 in self.weekdays  # cron: Sunday is 0
        if self.days_star or self.weekdays_star:
            return dom and dow
        return dom or dow

    def _aware(self, naive: dt.datetime) -> dt.datetime:
        return naive.replace(tzinfo=self.tz).astimezone(dt.UTC)

    def next_after(self, t: dt.datetime) -> dt.datetime | None:
        """The first activation strictly after t (in UTC), or None if there is none in five years."""
        local = t.astimezone(self.tz).replace(tzinfo=None, second=0, microsecond=0) + dt.timedelta(minutes=1)
        hours, minutes = sorted(self.hours), sorted(self.minutes)
        for offset in range(SEARCH_DAYS):
            day = local.date() + dt.timedelta(days=offset)
            if not self._day_matches(day):
                continue
            for h in hours:
                for m in minutes:
                    candidate = dt.datetime(day.year, day.month, day.day, h, m)
                    if candidate >= local:
                        return self._aware(candidate)
        return None

    def last_at_or_before(self, t: dt.datetime) -> dt.datetime | None:
        """The latest activation at or before t (in UTC)."""
        local = t.astimezone(self.tz).replace(tzinfo=None, second=0, microsecond=0)
        hours, minutes = sorted(self.hours, reverse=True), sorted(self.minutes, reverse=True)
        for offset in range(SEARCH_DAYS):
            day = local.date() - dt.timedelta(days=offset)
            if not self._day_matches(day):
                continue
            for h in hours:
                for m in minutes:
                    candidate = dt.datetime(day.year, day.month, day.day, h, m)
                    if candidate <= local:
                        return self._aware(candidate)
        return None


def parse_schedule(text: str, time_zone: str | None = None) -> Schedule:
    """Parse a CronJob schedule; raises ScheduleError with robfig-like messages."""
    try:
        tz: dt.tzinfo = ZoneInfo(time_zone) if time_zone else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {time_zone}") from None
    spec = text.strip()
    if spec.startswith("@"):
        if spec.lower() not in DESCRIPTORS:
            raise ScheduleError(f"unrecognized descriptor: {spec}")
        spec = DESCRIPTORS[spec.lower()]
    fields = spec.split()
    if len(fields) != 5:
        raise ScheduleError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    parsed = [_parse_field(f, low, high, names) for f, (_, low, high, names) in zip(fields, FIELDS)]
    (mins, _), (hrs, _), (days, days_star), (months, _), (weekdays, weekdays_star) = parsed
    return Schedule(frozenset(mins), frozenset(hrs), frozenset(days), frozenset(months), frozenset(weekdays),
                    days_star, weekdays_star, tz)
