"""What each input format is, in one table: how its records are made, how it is staged, what counts.

Every decision ingest takes by format (which staging route, one pass or not, batched or not, how blank lines
are counted, whether identical records are real repeats) reads a trait here, never a format's name. A profile
names its format (`format = "jsonl"`); a file's format is told by its name and content (`postmortem.sources`).

A new line-based format whose records are JSON objects, CSV rows or text lines is a row of `TABLE` (and, for a
JSON-like one, its `queries/ingest/json_lines_<name>.sql` turning a line into an object); a new text or JSON log
shape is only a profile file (postmortem/profiles/*.toml). A whole-file format (read by its kind's own module,
e.g. a WebRTC dump or a metrics export) is a row with `route="whole"` and its `kind`; the kind's module reads
it (see `postmortem.kinds`).
"""

from __future__ import annotations

from dataclasses import dataclass

ROUTES = ("json", "csv", "text", "whole")


@dataclass(frozen=True)
class Format:
    name: str
    route: str  # how staging makes records: json (one object a line), csv, text (a pattern), whole (its kind's module)
    record: str  # what counts as a record, for the docs and the summary
    line_based: bool = True  # its lines are records, parts of one, or blank (else: many records a line, or binary)
    one_pass: bool = False  # staged straight from the file in one statement (no line table in between)
    batchable: bool = False  # small files are read and appended together (each line a record on its own)
    own_output: bool = False  # a program's own text output: identical records are real repeats, never redeliveries
    json_lines: str | None = None  # route json: the query that makes each line one JSON object
    read: str = "lines"  # how its bytes reach DuckDB: lines (lines_of_files.sql) or parquet (read_parquet.sql)
    many_per_line: bool = False  # one line holds many records: its blank lines are counted themselves
    profile_by: str | None = None  # how a built-in profile is told: fields (JSON keys, CSV header), lines, or a name
    kind_by_fields: bool = False  # its field names can tell the kind (else a log with no --kind is a service log)
    directives: bool = False  # its columns are named by `#fields` / `#Fields:` lines (Zeek, W3C extended)
    sniffed_as: str | None = None  # read as this format's lines, told apart by its profile (OTLP JSON is JSON lines)
    user_choice: bool = True  # may be named by --format and by a profile's `format`
    kind: str | None = None  # a whole-file format belongs to one kind


def _whole(name: str, kind: str, record: str, *, batchable: bool = False) -> Format:
    return Format(name, "whole", record, line_based=False, batchable=batchable, user_choice=False, kind=kind)


TABLE: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "jsonl",
            "json",
            "a JSON object on its line",
            one_pass=True,
            batchable=True,
            json_lines="ingest/json_lines_jsonl",
            profile_by="fields",
            kind_by_fields=True,
        ),
        Format(
            "logfmt",
            "json",
            "a line of key=value pairs",
            one_pass=True,
            batchable=True,
            own_output=True,
            json_lines="ingest/json_lines_logfmt",
            profile_by="logfmt",
        ),
        Format(
            "csv",
            "csv",
            "a row under the header (a quoted field may span lines)",
            one_pass=True,
            profile_by="fields",
            kind_by_fields=True,
        ),
        Format(
            "text",
            "text",
            "a line the pattern matches, with the lines it continues",
            own_output=True,
            profile_by="lines",
        ),
        Format(
            "directive",
            "json",
            "a line under a Zeek `#fields` or W3C `#Fields:` directive (directive lines count as blank)",
            json_lines="ingest/json_lines_directive",
            own_output=True,  # the server writes these files itself (IIS, Zeek): two equal lines, two requests
            profile_by="fields",
            kind_by_fields=True,
            directives=True,
        ),
        Format(
            "parquet",
            "json",
            "a row",
            line_based=False,
            json_lines="ingest/json_lines_jsonl",
            read="parquet",
            kind_by_fields=True,
        ),
        Format(
            "otlp",
            "json",
            "a logRecord (one line holds many)",
            json_lines="ingest/json_lines_otlp",
            many_per_line=True,
            sniffed_as="jsonl",
        ),
        Format(
            "cloudtrail",
            "json",
            "a record of a CloudTrail file's `Records` array (one line holds many)",
            json_lines="ingest/json_lines_cloudtrail",
            many_per_line=True,
            sniffed_as="jsonl",
        ),
        # whole files, each read by its kind's module (a WebRTC dump's small files in batches)
        _whole("rtcstats", "webrtc", "a stats sample or state change", batchable=True),
        _whole("rtcstats-legacy", "webrtc", "a stats sample or state change", batchable=True),
        _whole("webrtc-internals", "webrtc", "a stats sample or state change", batchable=True),
        _whole("prometheus-json", "metric", "a sample point"),
        _whole("prometheus-text", "metric", "a sample line"),
        _whole("otlp-metrics", "metric", "a data point"),
        _whole("grafana-rows", "metric", "a cell of a series row"),
        _whole("grafana-columns", "metric", "a cell of a series column"),
    )
}
# What --format and a profile's `format` may name (the whole-file formats are told by content, with --kind).
CHOICES = tuple(name for name, f in TABLE.items() if f.user_choice)
# Formats `postmortem.sources` tells from a file's name and content (otlp is jsonl told by a profile).
SNIFFED = ("jsonl", "csv", "logfmt", "text", "parquet", "directive")


def get(name: str) -> Format:
    return TABLE[name]


def of_kind(kind: str) -> tuple[str, ...]:
    """The whole-file formats a kind reads (its module's to recognise)."""
    return tuple(name for name, f in TABLE.items() if f.kind == kind)
