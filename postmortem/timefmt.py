"""The one place that turns instants into text: ISO-8601 UTC for machines, `21:12:45 UTC` for people (with the
reader's zone beside it when asked), durations, and the time-zone check every command shares.

Times are UTC inside; every string a person reads says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from postmortem.errors import InputError


def iso(value: datetime | None) -> str | None:
    """ISO-8601 in UTC with a `Z`, or None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """An ISO-8601 string (a `Z` or offset, else read as UTC) as an aware datetime."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def zone(name: str | None) -> ZoneInfo | None:
    """An IANA zone, None for none given; an unknown name is a one-line error."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r}; use an IANA name such as America/New_York") from None


class Clock:
    """What a report knows about time besides its data: the reader's zone, whether dates must be shown
    (the data spans more than one UTC day) and when the report was generated (injectable, so output is
    byte-stable). Every instant a person reads is formatted here, at one precision."""

    def __init__(self, display_tz: str | None = None, *, now: datetime | None = None, dated: bool = False):
        self.display_tz = display_tz or ""
        self.tz = zone(display_tz)
        self.now = now or datetime.now(UTC)
        self.dated = dated

    def with_dates(self, dated: bool) -> Clock:
        clock = Clock(self.display_tz, now=self.now, dated=dated)
        return clock

    def __call__(self, value: datetime | None, seconds: bool = True) -> str:
        if value is None:
            return "—"
        fmt = ("%Y-%m-%d " if self.dated else "") + ("%H:%M:%S" if seconds else "%H:%M")
        text = value.astimezone(UTC).strftime(fmt) + " UTC"
        if self.tz:
            text += " (" + value.astimezone(self.tz).strftime(fmt + " %Z") + ")"
        return text


def spans_days(*values: datetime | None) -> bool:
    """True when the instants fall on more than one UTC date."""
    days = {v.astimezone(UTC).date() for v in values if v is not None}
    return len(days) > 1


def duration(seconds: float | None) -> str:
    """`46 s`, `13 min 30 s`, `2 h 05 min`; a minus sign when negative; `—` when unknown."""
    if seconds is None:
        return "—"
    sign = "−" if seconds < 0 else ""
    s = abs(round(seconds))
    if s < 60:
        return f"{sign}{s} s"
    if s < 3600:
        return f"{sign}{s // 60} min {s % 60:02d} s"
    return f"{sign}{s // 3600} h {s % 3600 // 60:02d} min"


def terminal_time(value: datetime | None, display: ZoneInfo | None = None) -> str:
    """One precision for terminal tables: `2026-03-14 21:12:45` UTC, or in the given zone with its name."""
    if value is None:
        return "-"
    if display is None:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return value.astimezone(display).strftime("%Y-%m-%d %H:%M:%S %Z")
