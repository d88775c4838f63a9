"""Times as people read and type them: the one place that turns instants into text and text into instants:
ISO-8601 UTC for machines, `21:12:45 UTC` for people (with the reader's zone beside it when asked), durations
both ways, times given on the command line (absolute or relative to the incident, `onset-5m`), and the time-zone
check every command shares. (Timestamps written in the logs are read at ingest: postmortem/log_times.py.)

Times are UTC inside; every string a person reads says so.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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
    """An IANA zone, None for none given; an unknown or empty name is a one-line error (`--display-tz ''` from
    an unset shell variable must not pass for "no zone")."""
    if name is None:
        return None
    if not name.strip():
        raise InputError("empty time zone ''; use an IANA name such as America/New_York, or leave the option out")
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
        clock = Clock(self.display_tz or None, now=self.now, dated=dated)
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


def parse_duration(text: str) -> float:
    """`-90s`, `+2m`, `1h30m`, `-1.5` (seconds) -> seconds."""
    match = re.fullmatch(r"\s*([+-])?\s*(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?\s*", text)
    if not match or not any(match.groups()[1:]):
        raise InputError(f"cannot read duration {text!r}; use e.g. +90s, -2m, 1h30m")
    sign, hours, minutes, seconds = match.groups()
    total = float(hours or 0) * 3600 + float(minutes or 0) * 60 + float(seconds or 0)
    return -total if sign == "-" else total


# The incident's moments a command-line time may be relative to, and the summary's anchor each one reads.
RELATIVE_TO = {"onset": "impact_start", "detected": "detected", "mitigated": "mitigated", "resolved": "resolved"}
_RELATIVE = re.compile(r"\s*([a-z_]+)\s*(?:([+-].*))?", re.I)


@dataclass(frozen=True)
class Instant:
    """A time given on the command line (`--since`, `--until`): ISO-8601, or a moment of the incident with an
    optional offset (`onset-5m`, `resolved+10m`), read before any work and placed once the incident is known."""

    option: str
    text: str
    absolute: datetime | None = None
    anchor: str | None = None
    offset_s: float = 0.0

    def at(self, anchors: dict) -> datetime:
        """The instant, given the summary's anchors (impact_start, detected, ...)."""
        if self.absolute is not None:
            return self.absolute
        value = anchors.get(RELATIVE_TO[self.anchor])
        if value is None:
            raise InputError(f"{self.option} {self.text}: these logs show no {self.anchor} time (no incident found)")
        return value + timedelta(seconds=self.offset_s)


def parse_instant(text: str | None, option: str) -> Instant | None:
    """An ISO-8601 time or `NAME[+-DURATION]` with NAME one of RELATIVE_TO; None for none given."""
    if not text:
        return None
    try:
        return Instant(option, text, absolute=parse_iso(text))
    except ValueError:
        pass
    match = _RELATIVE.fullmatch(text)
    if match and match.group(1).lower() in RELATIVE_TO:
        offset = parse_duration(match.group(2)) if match.group(2) else 0.0
        return Instant(option, text, anchor=match.group(1).lower(), offset_s=offset)
    close = difflib.get_close_matches(match.group(1).lower(), list(RELATIVE_TO), n=1) if match else []
    hint = f"; did you mean {close[0]}?" if close else ""
    raise InputError(
        f"{option}: {text!r} is neither an ISO-8601 time (2026-03-14T21:10:00Z) nor relative to the incident "
        f"({', '.join(RELATIVE_TO)}, e.g. onset-5m){hint}"
    )


def check_range(since: datetime | None, until: datetime | None, texts: tuple[str, str]) -> None:
    """Refuse an inverted range, naming both ends (a silent empty answer looked like an all-clear)."""
    if since is not None and until is not None and since > until:
        raise InputError(
            f"--since {texts[0]} ({iso(since)}) is after --until {texts[1]} ({iso(until)}); "
            f"did you mean --since {texts[1]} --until {texts[0]}?"
        )
