"""Which source field feeds which of our fields: the mapping, kept as data.

A `Mapping` is what the user said (`--map`, `--set`, `--ts-format`, `--level-map`, a profile) plus our
built-in aliases. `resolve` matches it against the fields a file actually has (found by DuckDB on the file's
first records) and returns a `Plan`: lists of JSON paths or column positions, constants and formats that the
staging queries take as bound parameters. No part of a mapping ever becomes SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from postmortem.errors import InputError

# Our fields per log kind, required ones first. Order matters: it is the order of the `fields` list the staging
# queries index into (queries/ingest/stage_*.sql read field i as `f[i]`).
FIELDS = {
    "join": ["ts", "space_id", "user_id", "event", "role", "platform", "region", "edge"],
    "error": ["ts", "service", "level", "message", "code", "space_id", "server", "user_id"],
    "glitch": [
        "ts",
        "space_id",
        "user_id",
        "glitch",
        "duration_ms",
        "packet_loss",
        "jitter_ms",
        "platform",
        "region",
        "edge",
    ],
}
REQUIRED = {
    "join": ["ts", "space_id", "user_id", "event"],
    "error": ["ts", "service", "level", "message"],
    "glitch": ["ts", "space_id", "user_id", "glitch"],
}

# Source names each of our fields is found under when no one says otherwise, in order of preference. Matching
# is case-insensitive; a dotted name is a literal dotted key or a path into nested objects.
ALIASES = {
    "ts": [
        "ts",
        "timestamp",
        "time",
        "@timestamp",
        "event_time",
        "datetime",
        "date_time",
        "timeUnixNano",
        "observedTimeUnixNano",
        "__REALTIME_TIMESTAMP",
        "t",
        "started_at",
    ],
    "service": [
        "service",
        "service.name",
        "resource.service.name",
        "component",
        "app",
        "application",
        "logger",
        "logger_name",
        "log.logger",
        "name",
        "target",
        "SYSLOG_IDENTIFIER",
        "_SYSTEMD_UNIT",
        "tag",
        "program",
        "source",
    ],
    "level": [
        "level",
        "severity",
        "lvl",
        "log.level",
        "loglevel",
        "log_level",
        "severityText",
        "severity_text",
        "severityNumber",
        "PRIORITY",
        "priority",
        "@fields.lvl",
        "@fields.level",
        "status",
    ],
    "message": [
        "message",
        "msg",
        "MESSAGE",
        "body",
        "content",
        "text",
        "log",
        "fields.message",
        "@fields.msg",
        "@message",
        "event.original",
        "request",
    ],
    "space_id": ["space_id", "space", "room_id", "room"],
    "user_id": ["user_id", "user", "uid", "user.id", "userId"],
    "event": ["event"],
    "role": ["role"],
    "platform": ["platform"],
    "region": ["region"],
    "edge": ["edge"],
    "glitch": ["glitch", "glitch_kind", "type"],
    "duration_ms": ["duration_ms"],
    "packet_loss": ["packet_loss"],
    "jitter_ms": ["jitter_ms"],
    "code": ["code", "error.code", "status_code"],
    "server": ["server", "host", "hostname", "host.name", "_HOSTNAME"],
}

# Level words and numbers from the common vocabularies -> our five levels. Numbers depend on the scale: syslog
# 0-7 (0 is the most severe), bunyan/pino 10-60, OpenTelemetry severityNumber 1-24, HTTP status codes.
LEVEL_WORDS = {
    "trace": "debug",
    "finest": "debug",
    "finer": "debug",
    "fine": "debug",
    "debug": "debug",
    "dbg": "debug",
    "verbose": "debug",
    "config": "debug",
    "t": "debug",
    "d": "debug",
    "v": "debug",
    "info": "info",
    "information": "info",
    "informational": "info",
    "notice": "info",
    "i": "info",
    "n": "info",
    "warn": "warn",
    "warning": "warn",
    "w": "warn",
    "error": "error",
    "err": "error",
    "severe": "error",
    "e": "error",
    "fatal": "fatal",
    "critical": "fatal",
    "crit": "fatal",
    "alert": "fatal",
    "emerg": "fatal",
    "emergency": "fatal",
    "panic": "fatal",
    "f": "fatal",
    "c": "fatal",
    "a": "fatal",
    "unknown": "unknown",
}
SYSLOG_LEVELS = {
    "0": "fatal",
    "1": "fatal",
    "2": "fatal",
    "3": "error",
    "4": "warn",
    "5": "info",
    "6": "info",
    "7": "debug",
}
BUNYAN_LEVELS = {"10": "debug", "20": "debug", "30": "info", "40": "warn", "50": "error", "60": "fatal"}
OTEL_RANGES = (
    (range(1, 9), "debug"),
    (range(9, 13), "info"),
    (range(13, 17), "warn"),
    (range(17, 21), "error"),
    (range(21, 25), "fatal"),
)
OTEL_LEVELS = {str(n): level for numbers, level in OTEL_RANGES for n in numbers}
HTTP_LEVELS = {"1xx": "info", "2xx": "info", "3xx": "info", "4xx": "warn", "5xx": "error"}
# Nextcloud's and PHP's (Monolog-less) 0-4; .NET's LogLevel 0-5 (Trace, Debug, Information, Warning, Error, Critical).
NEXTCLOUD_LEVELS = {"0": "debug", "1": "info", "2": "warn", "3": "error", "4": "fatal"}
DOTNET_LEVELS = {"0": "debug", "1": "debug", "2": "info", "3": "warn", "4": "error", "5": "fatal"}
# A syslog <PRI> is facility * 8 + severity.
SYSLOG_PRI_LEVELS = {str(pri): SYSLOG_LEVELS[str(pri % 8)] for pri in range(192)}
SCALES = {
    "syslog_pri": SYSLOG_PRI_LEVELS,
    "syslog": SYSLOG_LEVELS,
    "nextcloud": NEXTCLOUD_LEVELS,
    "php": NEXTCLOUD_LEVELS,
    "dotnet": DOTNET_LEVELS,
    "bunyan": BUNYAN_LEVELS,
    "pino": BUNYAN_LEVELS,
    "otel": OTEL_LEVELS,
    "http": HTTP_LEVELS,
}
# The scales numbers alone may be read on, where the values fit one of them only (a <PRI> is never guessed: its
# 0-191 holds every other scale's numbers; php and pino are other names of nextcloud and bunyan).
GUESSABLE_SCALES = ("syslog", "nextcloud", "dotnet", "bunyan", "otel", "http")
SCALE_RANGES = {
    "syslog": "0-7",
    "nextcloud": "0-4",
    "dotnet": "0-5",
    "bunyan": "10-60",
    "otel": "1-24",
    "http": "100-599",
}
# `unknown` is for logs that carry no severity at all (syslog without <PRI>): said, never guessed.
LEVELS = ("debug", "info", "warn", "error", "fatal", "unknown")

# Formats tried, in order, for a timestamp that is neither ISO-8601 nor an epoch number. Unambiguous ones only:
# day-first and month-first numeric dates are not guessed (pass --ts-format).
DEFAULT_TS_FORMATS = [
    "%a %b %d %H:%M:%S %Y",  # ctime: Sun Dec 04 04:47:44 2005
    "%d/%b/%Y:%H:%M:%S %z",  # access logs: 20/Jul/2009:22:59:26 +0000
    "%y%m%d %H%M%S",  # compact: 081109 203615
    "%y/%m/%d %H:%M:%S",  # 17/06/09 20:10:40 (Spark)
    "%Y.%m.%d %H:%M:%S",
    "%b %d %H:%M:%S %Y",
    "%b %d %Y %H:%M:%S",
]
# Syslog's `Mon dd HH:MM:SS` carries no year: it is read with the file's year (--year, else its mtime's year).
YEARLESS_TS_FORMATS = ["%b %d %H:%M:%S.%f", "%b %d %H:%M:%S"]


@dataclass(frozen=True)
class Mapping:
    """What the user (or a profile) said about a log's shape. Empty means: our aliases, auto-detected formats."""

    # our field -> alternative sources, each a list of parts ("Date+Time" = 2 parts); the first alternative the
    # file has is used. `required` names the fields whose sources must exist (what the user said on --map).
    fields: dict[str, list[list[str]]] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    constants: dict[str, str] = field(default_factory=dict)  # --set: overrides the log
    defaults: dict[str, str] = field(default_factory=dict)  # a profile's value where the log has none
    ts_formats: list[str] = field(default_factory=list)
    level_map: dict[str, str] = field(default_factory=dict)
    level_scale: str | None = None  # a name in SCALES; None: by the values seen, where they fit one scale only
    pattern: str | None = None  # text logs: a regex with named groups
    multiline: bool = False  # text logs: an unmatched line continues the record above (a stack trace)

    def merged_over(self, base: Mapping) -> Mapping:
        """This mapping with `base` (a profile) filling what it leaves unsaid."""
        return Mapping(
            fields={**base.fields, **self.fields},
            required=self.required | base.required,
            constants={**base.constants, **self.constants},
            defaults={**base.defaults, **self.defaults},
            ts_formats=self.ts_formats + [f for f in base.ts_formats if f not in self.ts_formats],
            level_map={**base.level_map, **self.level_map},
            level_scale=self.level_scale or base.level_scale,
            pattern=self.pattern or base.pattern,
            multiline=self.multiline or base.multiline,
        )


def _known_field(name: str) -> str:
    name = name.strip()
    known = {f for fields in FIELDS.values() for f in fields}
    if name not in known:
        raise InputError(f"unknown field {name!r}; use one of: {', '.join(sorted(known))}")
    return name


def parse_options(
    maps: list[str] | None = None,
    sets: list[str] | None = None,
    ts_formats: list[str] | None = None,
    level_maps: list[str] | None = None,
    pattern: str | None = None,
    multiline: bool = False,
    defaults: list[str] | None = None,
    level_scale: str | None = None,
) -> Mapping:
    """`--map FIELD=SOURCE[+SOURCE]`, `--set FIELD=VALUE`, `--ts-format`, `--level-map SOURCE=LEVEL[,..]`,
    `--default FIELD=VALUE` (where a record has none), `--level-scale NAME`."""
    fields: dict[str, list[list[str]]] = {}
    for text in maps or []:
        name, sep, source = text.partition("=")
        parts = [p.strip() for p in source.split("+")]
        if not sep or not all(parts):
            raise InputError(f"--map {text!r} is not of the form FIELD=SOURCE or FIELD=SOURCE+SOURCE")
        fields[_known_field(name)] = [parts]
    constants: dict[str, str] = {}
    for text in sets or []:
        name, sep, value = text.partition("=")
        if not sep:
            raise InputError(f"--set {text!r} is not of the form FIELD=VALUE")
        constants[_known_field(name)] = value
    filled: dict[str, str] = {}
    for text in defaults or []:
        name, sep, value = text.partition("=")
        if not sep or not value:
            raise InputError(f"--default {text!r} is not of the form FIELD=VALUE")
        filled[_known_field(name)] = value
    if level_scale is not None and level_scale not in SCALES:
        raise InputError(f"unknown --level-scale {level_scale!r}; use one of: {', '.join(SCALES)}")
    level_map: dict[str, str] = {}
    for text in level_maps or []:
        for pair in text.split(","):
            source, sep, level = pair.partition("=")
            if not sep or level.strip().lower() not in LEVELS:
                raise InputError(f"--level-map {pair!r} is not of the form SOURCE=LEVEL with LEVEL one of {LEVELS}")
            level_map[source.strip().lower()] = level.strip().lower()
    return Mapping(
        fields=fields,
        required=frozenset(fields),
        constants=constants,
        defaults=filled,
        ts_formats=list(ts_formats or []),
        level_map=level_map,
        level_scale=level_scale,
        pattern=pattern,
        multiline=multiline,
    )


@dataclass(frozen=True)
class Plan:
    """A mapping resolved against one file: everything the staging queries bind."""

    kind: str
    sources: list[str]  # JSON paths (`$."a"."b"`) or column names, each read once per record
    parts: list[list[int]]  # per field of FIELDS[kind]: 1-based positions in `sources` joined with a space
    alternatives: list[list[int]]  # per field: positions tried in order (first non-null wins)
    constants: list[str | None]  # per field: a --set value
    defaults: list[str | None]  # per field: a default where the record has no value
    known: list[str]  # top-level source names that are mapped (the rest goes to `extra`)
    defaulted: dict[str, str] = field(default_factory=dict)  # our field -> why it got a default value

    def params(self) -> dict:
        return {
            # json_extract_string takes no empty path list: with nothing mapped, one path no key matches
            "sources": self.sources or ["$.\u0000"],
            "parts": self.parts,
            "alternatives": self.alternatives,
            "constants": self.constants,
            "defaults": self.defaults,
            "known": self.known,
        }


def json_path(name: str) -> str:
    """A source name as a path into nested objects: `log.level` -> `$."log"."level"` (`resolve` tries the
    literal key `$."log.level"` first)."""
    return "$" + "".join('."' + part.replace("\\", "\\\\").replace('"', '\\"') + '"' for part in name.split("."))


def literal_path(name: str) -> str:
    """A source name as one key, dots and all: `log.level` -> `$."log.level"`."""
    return '$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def source_name(path: str) -> str | None:
    """The key a `literal_path` reads (None for a nested path or a column name)."""
    if not (path.startswith('$."') and path.endswith('"')):
        return None
    inner = path[3:-1]
    return None if '"."' in inner else inner.replace('\\"', '"').replace("\\\\", "\\")


def service_note(service: str) -> str:
    """What a file without a service field is told: its name stands in."""
    return f"no service field: {service!r} (the file's name) where a line names none"


def resolve(kind: str, mapping: Mapping, available: list[str], *, nested: bool, default_service: str) -> Plan:
    """Match `mapping` (and our aliases) against `available`, the source names a file has: top-level keys and,
    for JSON, dotted paths into nested objects (`nested=True`), or column/group names."""
    by_lower: dict[str, str] = {}
    for name in available:
        by_lower.setdefault(name.lower(), name)
    top_level = {name for name in available if not nested or name in _top_level(available)}
    sources: list[str] = []
    index: dict[str, int] = {}
    known: set[str] = set()

    def at(source: str) -> int:
        if source not in index:
            sources.append(source)
            index[source] = len(sources)
        return index[source]

    def positions(name: str) -> list[int]:
        """Where a source name is read: a dotted JSON name is tried as a literal key, then as a nested path."""
        if name in top_level:
            known.add(name)  # used whole; a nested path leaves its object in `extra`, so nothing is lost
        if not nested:
            return [at(name)]
        if "." not in name:
            return [at(literal_path(name))]
        return [at(literal_path(name)), at(json_path(name))]

    def position(name: str) -> int:
        return positions(name)[0] if name in top_level or not nested else positions(name)[-1]

    parts, alternatives, constants, defaults = [], [], [], []
    defaulted: dict[str, str] = {}
    for our in FIELDS[kind]:
        constants.append(mapping.constants.get(our))
        field_parts: list[int] = []
        field_alternatives: list[int] = []
        default = mapping.defaults.get(our)
        chosen = _first_present(mapping.fields.get(our, []), by_lower)
        if our in mapping.constants:
            pass
        elif chosen and len(chosen) > 1:
            field_parts = [position(name) for name in chosen]
        elif chosen:
            # the single names the file has, in the order given, are tried record by record (CLEF's @m or @mt)
            for name in _single_names_present(mapping.fields[our], by_lower):
                field_alternatives += [p for p in positions(name) if p not in field_alternatives]
        elif our in mapping.required:
            names = "+".join(mapping.fields[our][0])
            have = ", ".join(sorted(available)[:20]) or "no named fields"
            raise InputError(f"--map {our}={names}: no such field in the file (it has: {have})")
        else:
            for alias in ALIASES.get(our, [our]):
                name = by_lower.get(alias.lower())
                if name is not None:
                    field_alternatives += [p for p in positions(name) if p not in field_alternatives]
        if our == "service" and kind == "error" and our not in mapping.constants and default is None:
            # A log without a `service` field names its program on some lines or none: the file's name stands in.
            names = {sources[i - 1] for i in field_parts + field_alternatives}
            if not names & {
                "service",
                literal_path("service"),
                literal_path("service.name"),
                json_path("service.name"),
            }:
                default = default_service
                defaulted["service"] = service_note(default_service)
        defaults.append(default)
        parts.append(field_parts)
        alternatives.append(field_alternatives)
    return Plan(kind, sources, parts, alternatives, constants, defaults, sorted(known), defaulted)


def _single_names_present(alternatives: list[list[str]], by_lower: dict[str, str]) -> list[str]:
    """The one-part alternatives the file has, as it spells them, in the order given."""
    return [by_lower[parts[0].lower()] for parts in alternatives if len(parts) == 1 and parts[0].lower() in by_lower]


def _first_present(alternatives: list[list[str]], by_lower: dict[str, str]) -> list[str] | None:
    """The first alternative whose every part the file has, as the file spells them."""
    for parts in alternatives:
        found = [by_lower.get(p.lower()) for p in parts]
        if all(found):
            return found
    return None


def _top_level(available: list[str]) -> set[str]:
    """Names that are keys of the record itself: a dotted name is top-level when it is not a path (its first
    part is not itself an object of the record)."""
    names = set(available)
    return {n for n in available if "." not in n or n.split(".")[0] not in names}


class UnclearScale(InputError):
    """Numeric levels that fit several scales, where no profile or --level-scale says which."""

    def __init__(self, message: str, numbers: list[str], fits: list[str]) -> None:
        super().__init__(message)
        self.numbers, self.fits = numbers, fits


def fitting_scales(numbers: list[str]) -> list[str]:
    """The scales every one of these numbers belongs to (HTTP status: any 100-599)."""

    def fits(scale: str, n: str) -> bool:
        return 100 <= int(n) <= 599 if scale == "http" else n in SCALES[scale]

    return [scale for scale in GUESSABLE_SCALES if numbers and all(fits(scale, n) for n in numbers)]


def level_scale(mapping: Mapping, seen_numbers: list[str]) -> str | None:
    """The scale numeric levels are read on: the mapping's (a profile's, --level-scale), else the one scale the
    numbers seen fit. Numbers that fit several are refused (UnclearScale naming them and the flag to pass): level
    1 is an alert on syslog's scale and info on Nextcloud's, and a wrong guess loads every line wrong."""
    if mapping.level_scale:
        return mapping.level_scale
    numbers = sorted(set(seen_numbers) - set(mapping.level_map), key=int)
    fits = fitting_scales(numbers)
    if len(fits) > 1:
        shown = ", ".join(numbers[:8]) + (", ..." if len(numbers) > 8 else "")
        scales = ", ".join(f"{s} {SCALE_RANGES[s]}" for s in fits)
        raise UnclearScale(
            f"numeric levels ({shown}) fit several scales ({scales}) and nothing says which", numbers, fits
        )
    return fits[0] if fits else None


def level_table(mapping: Mapping, scale: str | None) -> tuple[list[str], list[str]]:
    """Source level text (lower-cased) -> our level, as two parallel lists for a DuckDB MAP parameter: the words
    of syslog, Java, log4j, Python, OpenTelemetry severityText and single letters, the numbers of `scale`, then
    the mapping's own level map."""
    table = dict(LEVEL_WORDS)
    if scale:
        table.update(SCALES[scale])
    table.update(mapping.level_map)
    keys = sorted(table)
    return keys, [table[k] for k in keys]
