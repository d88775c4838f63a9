"""What to pass for a file that did not load, named from the file's own fields and values.

A hint is a command line to follow, never a placeholder: the JSON key whose values are times (`--map ts=when`),
the column whose values are levels, the `--ts-format` its times are written in, the `--pattern` its first lines
fit, the `--level-scale` its numbers belong to. Each suggestion is checked on the file's first records with the
same tests recognition scores profiles by (`recognition.valid_ts`, `valid_level`), so following it loads the
file. Where no field can be named, the hint says what the file has, with a value of each, rather than guess.
A suggestion is the text between backticks after "try" (tests/test_hints.py follows every one).

Only files that did not load are read here (their first records again), so nothing here costs a loaded file.
"""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from functools import cache

from postmortem import formats, mapping, recognition
from postmortem.sources import LogFile, head, head_lines, head_records

SAMPLES = 50  # the first records a suggestion is checked on

# Names a field of ours is likely under, where the values alone cannot tell (join and glitch logs' ids).
LIKELY_NAMES = {
    "ts": r"time|date|stamp|^ts$|^t$|when|^@t$",
    "level": r"level|lvl|sev|prio|status|^s$|^l$|^@l$",
    "message": r"msg|message|text|body|content|^m$|^@m$|log",
    "space_id": r"space|room|channel|conf|session",
    "user_id": r"user|uid|participant|member|peer|client",
    "event": r"event|action|type|op",
    "glitch": r"glitch|kind|type|problem",
    "service": r"service|app|component|logger|source|host",
}

# Date and time shapes `--ts-format` may be suggested in (strftime, as DuckDB's strptime reads them).
_DATES = [
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%y%m%d", "%m/%d/%Y", "%d/%m/%Y", "%m/%d/%y", "%d/%m/%y",
    "%d.%m.%Y", "%m-%d-%Y", "%d-%m-%Y", "%d-%b-%Y", "%d %b %Y", "%b %d %Y", "%d/%b/%Y", "%m-%d", "%m/%d",
]  # fmt: skip
_SEPARATORS = [" ", "T", "-", ":", "_", "|", ", "]
_TIMES = ["%H:%M:%S", "%H:%M:%S.%f", "%H:%M:%S,%f", "%H%M%S", "%H:%M", "%I:%M:%S %p", "%I:%M:%S.%f %p"]
_ZONES = ["", " %z", "%z", " Z", "Z"]


def quoted(flag: str, value: str) -> str:
    return f"{flag} {shlex.quote(value)}"


# --- what a file's fields hold --------------------------------------------------------------------------------


def samples(log: LogFile) -> dict[str, list[str]]:
    """Field name -> the texts of its first records' values (a nested object's keys as `a.b`)."""
    values: dict[str, list[str]] = {}

    def add(prefix: str, record: dict, depth: int = 0) -> None:
        for key, value in record.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                values.setdefault(name, [])
                if depth < 3:  # `t.$date`, not a hostile document nested thousands deep
                    add(name + ".", value, depth + 1)
            elif value is not None and value != "" and not isinstance(value, list):
                values.setdefault(name, []).append(str(value).lower() if isinstance(value, bool) else str(value))

    for record in head_records(log, SAMPLES):
        add("", record)
    return values


def _likely(our: str, name: str) -> bool:
    return bool(re.search(LIKELY_NAMES.get(our, re.escape(our)), name, re.I))


def ts_field(values: dict[str, list[str]]) -> tuple[str, str | None] | None:
    """The field whose every value is a time (by our formats, else by one `--ts-format`), and that format."""
    ranked = sorted(values, key=lambda name: not _likely("ts", name))
    for name in ranked:
        texts = values[name]
        numeric = all(t.replace(".", "", 1).isdigit() for t in texts)
        if texts and (not numeric or _likely("ts", name)) and all(recognition.valid_ts(t, []) for t in texts):
            return name, None
    for name in ranked:
        fmt = ts_format(values[name]) if values[name] and re.search(r"\d", values[name][0]) else None
        if fmt:
            return name, fmt
    return None


def level_field(values: dict[str, list[str]], taken: set[str]) -> str | None:
    """The field whose every value is a level (a word of the vocabularies, a number on some scale)."""
    plain = mapping.Mapping()
    ranked = sorted((n for n in values if n not in taken), key=lambda name: not _likely("level", name))
    for name in ranked:
        texts = values[name]
        numeric = all(t.isdigit() for t in texts)
        if texts and (not numeric or _likely("level", name)) and all(recognition.valid_level(t, plain) for t in texts):
            return name
    return None


def message_field(values: dict[str, list[str]], taken: set[str]) -> str | None:
    """The field of the longest text, most often with spaces: what a line says."""
    texts = {n: v for n, v in values.items() if n not in taken and v and not all(t.isdigit() for t in v)}
    if not texts:
        return None
    return max(texts, key=lambda n: (_likely("message", n), sum(" " in t for t in texts[n]), sum(map(len, texts[n]))))


def ts_format(texts: list[str]) -> str | None:
    """The one strftime form every text is written in (a day-first and month-first date both fitting is None:
    that is for the user to say). Only the forms written with the same separators as the first text are tried."""
    found = [
        fmt
        for fmt in _forms().get(_separators(texts[0].strip()), [])
        if all(_parses(t.strip(), fmt) for t in texts[:SAMPLES])
    ]
    days = {re.sub(r"%[mdb]", "", f) for f in found}
    return found[0] if found and len(days) == len(found) or len(found) == 1 else None


def _separators(text: str) -> str:
    return re.sub(r"[A-Za-z0-9]+", "", text)


@cache
def _forms() -> dict[str, list[str]]:
    """Every form a hint may suggest, by its separators (what is left of a time it writes without letters and
    digits), so that a text is tried against the few forms it could be."""
    sample = datetime(2001, 2, 3, 4, 5, 6, 789000, tzinfo=UTC)
    forms: dict[str, list[str]] = {}
    for date in _DATES:
        for sep in _SEPARATORS:
            for time in _TIMES:
                for zone in _ZONES:
                    fmt = f"{date}{sep}{time}{zone}"
                    forms.setdefault(_separators(sample.strftime(fmt)), []).append(fmt)
    return forms


def _parses(text: str, fmt: str) -> bool:
    try:
        if "%Y" in fmt or "%y" in fmt:
            datetime.strptime(text, fmt)
        else:  # year-less: strptime would take 1900 (and refuse Feb 29)
            datetime.strptime("2000 " + text, "%Y " + fmt)
    except ValueError:
        return False
    return True


def describe(values: dict[str, list[str]]) -> str:
    """The file's fields with a value of each, for a hint that cannot name the one to take."""
    shown = [f"{n}={values[n][0][:30]!r}" for n in list(values)[:12] if values[n]]
    return ", ".join(shown) or "no named fields"


# --- hints ----------------------------------------------------------------------------------------------------


def for_unmapped(unmapped: list[str], values: dict[str, list[str]], available: list[str]) -> str:
    """Flags naming a field for each of ours the file has no source for (a level-less log: `unknown`)."""
    flags, missing = _flags_for(unmapped, values)
    have = ", ".join(available[:15]) or "no named fields"
    head_text = f"no field maps to {', '.join(unmapped)}; the file has {have}"
    if missing:
        return f"{head_text}; none holds {' or '.join(missing)} (its first record: {describe(values)})"
    return f"{head_text}: try `{' '.join(flags)}`"


def for_kind(log: LogFile, fields: list[str], user: mapping.Mapping) -> str:
    """A file no name or field tells the kind of: a join log where fields look like a space's and a user's
    (a glitch log where one also looks like a glitch), else a service log; with what that kind lacks."""
    values = samples(log)

    def looks(our: str) -> bool:
        return any(_likely(our, name) for name in fields)

    kind = "error"
    if looks("space_id") and looks("user_id"):
        kind = "glitch" if looks("glitch") and not looks("event") else "join"
    nested = formats.get(log.format).route != "csv"
    plan = mapping.resolve(kind, user, fields, nested=nested, default_service="-")
    flags, missing = _flags_for(_unmapped(plan), values)
    if missing:
        return f"e.g. `--kind {kind}`; no field holds {' or '.join(missing)} (its first record: {describe(values)})"
    return f"try `{' '.join([f'--kind {kind}', *flags])}`"


def _unmapped(plan: mapping.Plan) -> list[str]:
    ours = mapping.FIELDS[plan.kind]

    def mapped(our: str) -> bool:
        at = ours.index(our)
        return bool(plan.constants[at] or plan.parts[at] or plan.alternatives[at] or plan.defaults[at])

    return [f for f in mapping.REQUIRED[plan.kind] if not mapped(f)]


def _flags_for(unmapped: list[str], values: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    flags: list[str] = []
    taken: set[str] = set()
    missing: list[str] = []
    for our in unmapped:
        name: str | None = None
        if our == "ts":
            found = ts_field(values)
            if found:
                name = found[0]
                flags.append(quoted("--map", f"ts={name}"))
                if found[1]:
                    flags.append(quoted("--ts-format", found[1]))
        elif our == "level":
            name = level_field(values, taken)
            flags.append(quoted("--map", f"level={name}") if name else "--set level=unknown")
        elif our == "message":
            name = message_field(values, taken)
        else:
            name = next((n for n in values if n not in taken and _likely(our, n)), None)
        if our not in ("ts", "level") and name:
            flags.append(quoted("--map", f"{our}={name}"))
        if name:
            taken.add(name)
        elif our != "level":
            missing.append(our)
    return flags, missing


def for_timestamps(ts_sources: list[str], values: dict[str, list[str]], rejected: list[str], available: list[str]):
    """Timestamps that do not parse: the columns to join (a date and a time apart), else the `--ts-format` their
    values are written in, else the values themselves."""
    have = ", ".join(available[:15]) or "no named fields"
    if len(ts_sources) == 1 and values.get(ts_sources[0]) is not None:
        parts = [a for a in available if a in values and re.search("date|time|day", a, re.I)]
        if len(parts) > 1:
            joined = [" ".join(v) for v in zip(*(values[p] for p in parts[:3]), strict=False)]
            if joined and all(recognition.valid_ts(t, []) for t in joined):
                return f"timestamps do not parse; the file has {have}: try `--map ts={'+'.join(parts[:3])}`"
            fmt = ts_format(joined) if joined else None
            if fmt:
                flags = f"--map ts={'+'.join(parts[:3])} {quoted('--ts-format', fmt)}"
                return f"timestamps do not parse; the file has {have}: try `{flags}`"
    texts = [t for t in (values.get(ts_sources[0], []) if len(ts_sources) == 1 else []) if t] or rejected
    fmt = ts_format(texts) if texts else None
    if fmt:
        return f"timestamps do not parse ({texts[0]!r}): try `{quoted('--ts-format', fmt)}`"
    shown = ", ".join(repr(t) for t in texts[:2])
    return (
        f"timestamps do not parse ({shown}), and neither does a form of ours: pass --ts-format with the strftime"
        " form they are written in (see docs/log-format.md)"
    )


def for_levels(levels: list[str]) -> str:
    """Levels outside the vocabularies: never a level map that hides what they say (a zone taken for a level,
    an HTTP 5xx read as info). HTTP statuses among other numbers are read on the http scale, the rest said to
    be unknown; a word that opens like a level word is mapped to it, any other to `unknown`."""
    zones = [level for level in levels if level.upper() in recognition.ZONES]
    if zones:
        return (
            f"the level field holds a time zone ({', '.join(zones)}), not a level: the pattern splits the line"
            " wrongly; pass --pattern with the zone inside the timestamp group"
        )
    numbers = [level for level in levels if level.isdigit()]
    flags = []
    fits = mapping.fitting_scales(numbers)
    if numbers and fits:
        flags.append(f"--level-scale {fits[0]}")
        levels = [level for level in levels if level not in numbers]
    elif any(100 <= int(n) <= 599 for n in numbers):
        flags.append("--level-scale http")
        levels = [level for level in levels if not (level.isdigit() and 100 <= int(level) <= 599)]
    if levels:
        flags.append(quoted("--level-map", ",".join(f"{level}={_nearest_level(level)}" for level in levels)))
    return f"levels outside the known vocabularies ({', '.join(levels or numbers)}): try `{' '.join(flags)}`"


def _nearest_level(text: str) -> str:
    key = text.lower()
    for word, level in sorted(mapping.LEVEL_WORDS.items(), key=lambda item: -len(item[0])):
        if len(word) >= 3 and (key.startswith(word) or (len(key) >= 3 and word.startswith(key))):
            return level
    return "unknown"


def for_scales(numbers: list[str], fits: list[str]) -> str:
    """Numbers that fit several scales: what each would make of them, the first as the example."""
    readings = "; ".join(
        f"{scale} ({', '.join(n + '=' + mapping.SCALES[scale].get(n, '?') for n in numbers[:4])})" for scale in fits
    )
    return f"pass --level-scale NAME, one of: {readings}: e.g. try `--level-scale {fits[0]}`"


def for_text(lines: list[str]) -> str:
    """A text log no profile reads: a `--pattern` fitted to its first line (a time, maybe a level, the rest the
    message) where it reads most of the first lines; else what a pattern needs."""
    derived = derive_pattern(lines)
    if derived:
        return f"try `{derived}`"
    if not any(_TIME_LIKE.search(line) for line in lines[:20]):
        # No pattern can help: every record is placed in time, and these lines carry none (Android logcat's
        # brief format, for one, which threadtime replaces with the same lines timed).
        return (
            "its first lines hold no time of day or date, and every record needs one: if they carry a time in"
            " another form (epoch seconds, say), pass --pattern with named groups ts, level and message and"
            " --ts-format for the ts group's form; if not, capture the log with its times (for Android logcat,"
            " `adb logcat -v threadtime`)"
        )
    return (
        "no time this can read opens its first line: pass --pattern with named groups ts, level and message"
        " (and --ts-format for the ts group's form), or --profile (see `postmortem profiles`)"
    )


_TOKEN = re.compile(r"\S+")
# A clock time or a date anywhere in a line (an epoch number is not told from any other number here).
_TIME_LIKE = re.compile(r"\d{1,2}:\d{2}(:\d{2})?|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}")


def derive_pattern(lines: list[str]) -> str | None:
    """`--pattern` (with `--ts-format` where ours do not read the time) for lines that open with a time, then
    maybe a level among the next three words, then the message. Checked on the first lines as recognition
    scores a profile: it must read most of them."""
    if not lines:
        return None
    first = lines[0]
    tokens = list(_TOKEN.finditer(first))
    for count in range(min(5, len(tokens)), 0, -1):
        stamp = first[: tokens[count - 1].end()]
        inner = stamp.strip("[]()<> ")
        opened = stamp[: len(stamp) - len(stamp.lstrip("[(< "))]
        closed = stamp[len(opened) + len(inner) :]
        fmt = None
        if not recognition.valid_ts(inner, []):
            fmt = ts_format([inner])
            if fmt is None:
                continue
        shape = re.sub(r"\d+", r"\\d+", re.sub(r"[A-Za-z]+", "[A-Za-z]+", re.escape(inner).replace("\\ ", " ")))
        head_re = re.escape(opened) + f"(?P<ts>{shape})" + re.escape(closed)
        candidates = [(head_re + r"\s*(?P<message>.*)$", "")]
        level = _level_position(lines, count)
        if level:
            skip, before, after, others = level
            middle = r"\s+" + r"".join([r"\S+\s+"] * skip)
            level_re = re.escape(before) + r"(?P<level>\w+)" + re.escape(after)
            mapped = ",".join(f"{w}={_nearest_level(w)}" for w in others)
            candidates.insert(
                0,
                (head_re + middle + level_re + r"\s*(?:[|:-]\s+)?(?P<message>.*)$", mapped),
            )
        for pattern, level_map in candidates:
            flags = quoted("--pattern", "^" + pattern) + (" " + quoted("--ts-format", fmt) if fmt else "")
            if "(?P<level>" not in pattern:
                flags += " --set level=unknown"
            elif level_map:
                flags += " " + quoted("--level-map", level_map)
            if _reads(pattern, fmt, lines):
                return flags
    return None


def _level_position(lines: list[str], after: int) -> tuple[int, str, str, list[str]] | None:
    """Where a level word is, among the three words after the time (the place most of the first lines have
    one): its place, what is written around it (`[`, `:`), and the other words found there (`LOG`)."""
    best = None
    for skip in range(3):
        found: dict[str, str] = {}
        shape = None
        for line in lines[:SAMPLES]:
            tokens = _TOKEN.findall(line)
            if len(tokens) <= after + skip:
                continue
            text = tokens[after + skip]
            word = text.strip("[]()<>:|-,")
            if not word or not word.isalpha():
                continue
            if shape is None:
                shape = (text[: text.find(word)], text[text.find(word) + len(word) :])
            found[word] = "level" if recognition.valid_level(word, mapping.Mapping()) else "other"
        levels = sum(1 for v in found.values() if v == "level")
        others = len(found) - levels  # a few (postgres's LOG, DETAIL), not the many words of a message
        if shape and levels and others <= max(2, levels) and (best is None or levels > best[0]):
            best = (levels, skip, *shape, [w for w, v in found.items() if v == "other"])
    return best[1:] if best else None


def _reads(pattern: str, fmt: str | None, lines: list[str]) -> bool:
    compiled = re.compile("^" + pattern)
    formats_said = [fmt] if fmt else []
    good = 0
    for line in lines[: recognition.HEAD_RECORDS]:
        match = compiled.match(line)
        if match and recognition.valid_ts(match.group("ts"), formats_said):
            level = match.groupdict().get("level")
            good += level is None or recognition.valid_level(level, mapping.Mapping())
    return good >= recognition.POOR * min(len(lines), recognition.HEAD_RECORDS)


def for_rejects(log: LogFile, plan: mapping.Plan, available: list[str], top_reasons: list) -> str | None:
    """What to pass for a file whose lines were rejected: a source for each required field it lacks, the form
    of its timestamps, the value inside an object, the scale or meaning of its levels."""
    if not available:  # no line was read as a record at all: the reasons say why, no field can be named
        return None
    unmapped = _unmapped(plan)
    if unmapped:
        return for_unmapped(unmapped, samples(log), available)
    reasons = [reason for reason, _ in top_reasons]
    if reasons and reasons[0].endswith("holds an object or array"):
        return _for_nested(plan, available)
    if reasons and reasons[0].startswith("unparseable timestamp"):
        at = plan.parts[0] or plan.alternatives[0][:1]
        names = [mapping.source_name(plan.sources[p - 1]) or plan.sources[p - 1] for p in at]
        rejected = [r.removeprefix("unparseable timestamp: ") for r in reasons if r.startswith("unparseable timestamp")]
        return for_timestamps(names, samples(log), rejected, available)
    levels = [r.removeprefix("unknown level: ") for r in reasons if r.startswith("unknown level: ")]
    if any(level.upper() in recognition.ZONES for level in levels):  # the pattern splits the line wrongly
        derived = derive_pattern(head_lines(head(log.path, log.compression)))
        if derived:
            return f"the level field holds a time zone ({', '.join(levels)}), not a level: try `{derived}`"
    return for_levels(levels) if levels else None


def _for_nested(plan: mapping.Plan, available: list[str]) -> str | None:
    """Our fields read from a key that holds an object (MongoDB's `t` is `{"$date": ...}`): the keys inside it."""
    flags = []
    for our, alternatives in zip(mapping.FIELDS[plan.kind], plan.alternatives, strict=True):
        for position in alternatives[:1]:
            name = mapping.source_name(plan.sources[position - 1])
            inside = [a for a in available if name is not None and a.startswith(name + ".")]
            if inside:
                flags.append(quoted("--map", f"{our}={inside[0]}"))
    if not flags:
        return None
    return f"a field holds an object where one value belongs; the values inside it: try `{' '.join(flags)}`"
