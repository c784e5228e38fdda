"""Cron schedules (robfig/cron v3's standard parser, which Kubernetes uses), read once for both of their users.

The API server validates `spec.schedule` with `cron.ParseStandard` and shows its error texts after
"spec.schedule: Invalid value: ..."; the CronJob controller computes activation times from the same fields.
Five fields: minute hour day-of-month month day-of-week; `*` and `?`, ranges `a-b`, steps `*/n`, `a-b/n`
and `a/n` (= a-max/n), lists, month and weekday names (JAN, mon; case-insensitive), and the descriptors
@yearly/@annually, @monthly, @weekly, @daily/@midnight, @hourly. As in cron, when both day fields are
restricted a day matches if either does; times are wall-clock times in the schedule's time zone.
Validation also accepts a `TZ=`/`CRON_TZ=` prefix and `@every <duration>`, as ParseStandard does; the
controller reads only the five fields and the descriptors (its time zone is spec.timeZone).
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
               "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_DOW = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (min, max, names) for minute, hour, day of month, month, day of week
_BOUNDS = [(0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 6, _DOW)]
SEARCH_DAYS = 366 * 5  # far enough for Feb 29 on a given weekday; beyond that a schedule never fires


class CronError(ValueError):
    pass


def _atoi(text: str) -> int:
    try:
        if not text or not text.lstrip("+-").isdigit():
            raise ValueError
        return int(text)
    except ValueError:
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax') from None


def _must_parse_int(text: str) -> int:
    num = _atoi(text)
    if num < 0:
        raise CronError(f"negative number ({num}) not allowed: {text}")
    return num


def _int_or_name(text: str, names: dict) -> int:
    if names and text.lower() in names:
        return names[text.lower()]
    return _must_parse_int(text)


def _parse_range(expr: str, lo: int, hi: int, names: dict) -> tuple[range, bool]:
    """robfig getRange: the values one comma part allows, and whether it is an unrestricted star (its starBit:
    `*` or `?` with no step above 1, which decides how the two day fields combine)."""
    range_and_step = expr.split("/")
    low_high = range_and_step[0].split("-")
    if low_high[0] in ("*", "?"):
        start, end = lo, hi
    else:
        start = _int_or_name(low_high[0], names)
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = _int_or_name(low_high[1], names)
        else:
            raise CronError(f"too many hyphens: {expr}")
    step = 1
    if len(range_and_step) == 2:
        step = _must_parse_int(range_and_step[1])
        if len(low_high) == 1:
            end = hi  # "N/step" means "N-max/step"
    elif len(range_and_step) > 2:
        raise CronError(f"too many slashes: {expr}")
    if start < lo:
        raise CronError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise CronError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expr}")
    return range(start, end + 1, step), low_high[0] in ("*", "?") and step == 1


def _parse_fields(spec: str) -> list[tuple[frozenset[int], bool]]:
    """The five fields: per field the values it allows and whether it was an unrestricted star."""
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    parsed = []
    for text, (lo, hi, names) in zip(fields, _BOUNDS):
        values: set[int] = set()
        star = False
        for expr in text.split(","):
            allowed, is_star = _parse_range(expr, lo, hi, names)
            values.update(allowed)
            star = star or is_star
        parsed.append((frozenset(values), star))
    return parsed


def parse_cron_schedule(schedule: str) -> None:
    """Raise CronError with robfig/cron's message if `schedule` is not a standard 5-field spec."""
    if not schedule:
        raise CronError("empty spec string")
    spec = schedule
    if spec.startswith(("TZ=", "CRON_TZ=")):
        tz_part, _, spec = spec.partition(" ")
        try:
            zoneinfo.ZoneInfo(tz_part.split("=", 1)[1])
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise CronError(f"provided bad location {tz_part.split('=', 1)[1]}: unknown time zone "
                            f"{tz_part.split('=', 1)[1]}") from None
        spec = spec.strip()
    if spec.startswith("@"):
        if spec in DESCRIPTORS:
            return
        if spec.startswith("@every "):
            return
        raise CronError(f"unrecognized descriptor: {spec}")
    _parse_fields(spec)


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
        start = t.astimezone(self.tz).replace(tzinfo=None, second=0, microsecond=0) + dt.timedelta(minutes=1)
        return self._scan(start, backwards=False)

    def last_at_or_before(self, t: dt.datetime) -> dt.datetime | None:
        """The latest activation at or before t (in UTC)."""
        return self._scan(t.astimezone(self.tz).replace(tzinfo=None, second=0, microsecond=0), backwards=True)

    def _scan(self, local: dt.datetime, backwards: bool) -> dt.datetime | None:
        """The nearest activation at or after (at or before) a wall-clock minute, day by day for five years."""
        hours, minutes = sorted(self.hours, reverse=backwards), sorted(self.minutes, reverse=backwards)
        step = -1 if backwards else 1
        for offset in range(SEARCH_DAYS):
            day = local.date() + dt.timedelta(days=step * offset)
            if not self._day_matches(day):
                continue
            for h in hours:
                for m in minutes:
                    candidate = dt.datetime(day.year, day.month, day.day, h, m)
                    if (candidate <= local) if backwards else (candidate >= local):
                        return self._aware(candidate)
        return None


def parse_schedule(text: str, time_zone: str | None = None) -> Schedule:
    """A CronJob's schedule in its spec.timeZone (UTC when unset), for computing activations."""
    try:
        tz: dt.tzinfo = zoneinfo.ZoneInfo(time_zone) if time_zone else dt.UTC
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise CronError(f"unknown time zone {time_zone}") from None
    spec = text.strip()
    if spec.startswith("@"):
        if spec not in DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {spec}")
        spec = DESCRIPTORS[spec]
    (mins, _), (hrs, _), (days, days_star), (months, _), (weekdays, weekdays_star) = _parse_fields(spec)
    return Schedule(mins, hrs, days, months, weekdays, days_star, weekdays_star, tz)
