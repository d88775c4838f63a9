"""Which built-in profile a file is: every candidate scored on the file's first records, the best taken only
when it is clearly the best.

A candidate is a text profile (its pattern) for a text log, or a JSON/CSV profile whose `detect` fields the file
has. Each is scored on the first records (`HEAD_RECORDS`): how many it reads, and of those how many give a
timestamp that parses and a level that is one (a word of the common vocabularies or the profile's level map, a
number on the profile's scale; a zone abbreviation such as PDT never is). A record read with a bad timestamp or
level counts against the profile. The best score wins; among equal scores the profile that reads more of each
record (more named groups, more detect fields). Two profiles with the same score, or a best that reads well
under half the records, are a refusal naming the candidates: a guess would load the file wrong without a word.

This runs in Python on a file's first 64 KiB (`sources.head`), for every file, so it is kept cheap: patterns
compiled once, timestamps tried by a few `strptime` formats only where the pattern matched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from postmortem import formats, mapping, profiles
from postmortem.errors import InputError
from postmortem.log_times import ZONE_OFFSETS
from postmortem.profiles import Profile

HEAD_RECORDS = 200
POOR = 0.5  # a best profile that reads well fewer than this share of the first records is no answer
# A line that opens with a date opens a record of some timestamped format: never a continuation of another's.
_DATED = re.compile(r"^\W{0,2}(?:\d{4}[-/.]\d\d[-/.]\d\d|\d{6} \d{6}|[A-Z][a-z]{2} +\d{1,2} \d\d:)")
_ISO = re.compile(
    r"^[+-]?\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)?"
    r"\s*(?:[Zz]|[+-]\d\d(?::?\d\d)?|[A-Za-z][A-Za-z_]*(?:/[A-Za-z0-9_+-]+)*)?$"
)
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
_ZONE = re.compile(r"\s([A-Z]{2,5})$")
_COMMA_FRACTION = re.compile(r"(\d\d:\d\d:\d\d),(\d)")  # log4j's 17:41:44,747
_FRACTION = re.compile(r"(\d\d:\d\d:\d\d)\.(\d{6})\d+")  # strptime's %f takes 6 digits at most
# Zone abbreviations: a captured "level" that is one of these is a time zone the pattern mistook for a level.
ZONES = frozenset({*ZONE_OFFSETS, "UTC", "GMT", "EST", "MST", "Z"})


class Unread(InputError):
    """No built-in profile reads the text log (ingest adds what to pass: `hints.for_text`)."""


@dataclass(frozen=True)
class Score:
    profile: Profile
    read: int  # records (lines matched, or rows with the detect fields) among the first records
    explained: int  # lines it accounts for (a multiline profile's continuation lines too)
    bad: int  # records read whose timestamp does not parse or whose level is none
    of: int  # the lines (records) scored
    specificity: int  # named groups of its pattern, or detect fields

    @property
    def share(self) -> float:
        """Lines accounted for, less those read wrong, as a share of the lines scored."""
        return (self.explained - self.bad) / self.of if self.of else 0.0

    @property
    def key(self) -> tuple[float, int]:
        return (round(self.share, 9), self.specificity)

    def describe(self) -> str:
        return f"{self.profile.name} ({self.read - self.bad} of {self.of} records read with a valid time and level)"


def best_text_profile(lines: list[str]) -> tuple[Profile | None, float]:
    """The best built-in text profile for `lines` and its share, without refusing (for tests and listings)."""
    scores = rank([score_text(p, lines, mapping.Mapping()) for p in profiles.text_profiles()])
    return (scores[0].profile, scores[0].share) if scores and scores[0].read else (None, 0.0)


def choose_text(name: str, lines: list[str], user: mapping.Mapping) -> Profile:
    """The built-in text profile for a text log's first lines, or a one-line refusal naming the candidates. Each
    is scored as the user's flags (`user`) would read it over the profile."""
    lines = lines[:HEAD_RECORDS]
    scores = [s for s in rank([score_text(p, lines, user) for p in profiles.text_profiles()]) if s.read]
    return _clear_best(name, scores, lines[0] if lines else "(empty)") or _no_match(name, lines)


def choose_structured(name: str, fields: list[str], records: list[dict], user: mapping.Mapping) -> Profile | None:
    """The built-in JSON/CSV profile whose detect fields the file has and whose mapping reads its first records
    best; None where no profile's detect fields are all there (our own field names and aliases then)."""
    have = {f.lower() for f in fields}
    candidates = [p for p in profiles.built_in().values() if p.detect and all(d.lower() in have for d in p.detect)]
    if not candidates:
        return None
    records = records[:HEAD_RECORDS]
    scores = rank([score_records(p, records, user) for p in candidates])
    return _clear_best(name, scores, None)


def rank(scores: list[Score]) -> list[Score]:
    return sorted(scores, key=lambda s: s.key, reverse=True)


def _clear_best(name: str, scores: list[Score], first: str | None) -> Profile | None:
    if not scores:
        return None
    best = scores[0]
    tied = [s for s in scores[1:] if s.key == best.key]
    if tied:
        names = ", ".join(s.describe() for s in [best, *tied])
        raise InputError(
            f"{name}: more than one built-in format reads this file equally well ({names}); a guess could load it"
            f" wrong: pass --profile NAME, e.g. try `--profile {best.profile.name}`"
        )
    if best.share < POOR:
        near = ", ".join(s.describe() for s in scores[:3])
        sample = f" (first line: {first[:80]!r})" if first is not None else ""
        raise Unread(f"{name}: no built-in format reads most of this file{sample}; closest: {near}")
    return best.profile


def _no_match(name: str, lines: list[str]) -> Profile:
    sample = lines[0][:80] if lines else "(empty)"
    raise Unread(f"{name}: cannot read this text log: no built-in format matches its lines (first: {sample!r})")


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def score_text(profile: Profile, lines: list[str], user: mapping.Mapping) -> Score:
    pattern = _compiled(profile.mapping.pattern)
    chosen = user.merged_over(profile.mapping_for(profile.kind or "error"))
    read = explained = bad = 0
    started, stamp = False, None
    for line in lines:
        match = pattern.match(line)
        if match:
            read, explained, started = read + 1, explained + 1, True
            if not _valid(chosen, match.groupdict().get):
                bad += 1
            stamp = match.group("ts") if "ts" in pattern.groupindex else None
        elif started and chosen.multiline and (not _DATED.match(line) or (stamp and line.startswith(stamp))):
            # a dated line continues a record only when it repeats the record's time: one event written in
            # several lines (PostgreSQL's DETAIL and STATEMENT lines), not another format's record
            explained += 1
    return Score(profile, read, explained, bad, len(lines), len(pattern.groupindex))


def score_records(profile: Profile, records: list[dict], user: mapping.Mapping) -> Score:
    if profile.format and formats.get(profile.format).many_per_line:  # its records are not the lines: by detect
        return Score(profile, len(records), len(records), 0, len(records), len(profile.detect))
    chosen = user.merged_over(profile.mapping_for(profile.kind or "error"))
    bad = sum(1 for record in records if not _valid(chosen, lambda name, r=record: _lookup(r, name)))
    return Score(profile, len(records), len(records), bad, len(records), len(profile.detect))


def _lookup(record: dict, name: str):
    """A literal key, else a dotted path into nested objects (`t.$date`)."""
    if name in record:
        return record[name]
    lower = {k.lower(): k for k in record}
    if name.lower() in lower:
        return record[lower[name.lower()]]
    value = record
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _value(chosen: mapping.Mapping, our: str, get) -> str | None:
    """Our field's text in one record by the mapping: its first alternative the record has (parts joined)."""
    if our in chosen.constants:
        return chosen.constants[our]
    for parts in chosen.fields.get(our) or [[alias] for alias in mapping.ALIASES.get(our, [our])]:
        values = [get(p) for p in parts]
        if all(v is not None and v != "" for v in values):
            return " ".join(str(v) if not isinstance(v, dict | list) else json.dumps(v) for v in values)
    return chosen.defaults.get(our)


def _valid(chosen: mapping.Mapping, get) -> bool:
    return valid_ts(_value(chosen, "ts", get), chosen.ts_formats) and valid_level(_value(chosen, "level", get), chosen)


def valid_level(text: str | None, chosen: mapping.Mapping) -> bool:
    """Whether a level text is a level the staging will read (never a zone abbreviation)."""
    if text is None:
        return False
    if text.strip().upper() in ZONES:
        return False
    key = text.strip().lower()
    if key in mapping.LEVEL_WORDS or key in chosen.level_map or "*" in chosen.level_map:
        return True
    if key.isdigit():
        if chosen.level_scale == "http":
            return 100 <= int(key) <= 599
        if chosen.level_scale:
            return key in mapping.SCALES[chosen.level_scale]
        return bool(mapping.fitting_scales([key]))
    return re.sub(r"^([a-z]+)\d+$", r"\1", key) in mapping.LEVEL_WORDS


def valid_ts(text: str | None, formats: list[str]) -> bool:
    """Whether a timestamp text parses as the staging reads it (ISO-8601, an epoch number from 1973, or one of
    the formats; a year-less format with a year prepended)."""
    if text is None:
        return False
    text = text.strip()
    if _NUMBER.match(text):
        return 1e8 <= float(text) < 1e20
    if _ISO.match(text):
        return True
    zone = _ZONE.search(text)
    if zone and zone.group(1) in ZONE_OFFSETS:
        text = text[: zone.start()] + " " + ZONE_OFFSETS[zone.group(1)]
    text = _FRACTION.sub(r"\1.\2", _COMMA_FRACTION.sub(r"\1.\2", text))
    for fmt in (*formats, *mapping.DEFAULT_TS_FORMATS):
        if _parses(text, fmt) or ("%Y" not in fmt and "%y" not in fmt and _parses("2000 " + text, "%Y " + fmt)):
            return True
    return any(_parses("2000 " + text, "%Y " + fmt) for fmt in mapping.YEARLESS_TS_FORMATS)


def _parses(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True
