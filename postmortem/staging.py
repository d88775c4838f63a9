"""Staging: a file's (or a batch of small files') lines read by DuckDB and parsed into checked records, ready
to append.

DuckDB reads, decompresses and splits the files (`queries/ingest/lines_of_files.sql`; Python splits only what
its strict reader refuses), parses each record once by the format's query (`records_<format>`), and checks it
by the kind's query (`stage_<kind>`), the mapping bound as parameters. These fixed queries are chained into one
statement where they can be (`queries.chained`): JSON, logfmt and CSV lines go from the file to checked rows in
one pass, one row per line (numbered by the table they land in), keeping a line's text only where it is
rejected; text records, and CSV records where a quoted field spans lines, join lines and are made from the
lines kept in a table. `postmortem.ingest` orchestrates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from postmortem import formats, hints, log_times, mapping, profiles, queries, sources
from postmortem.errors import InputError, PostmortemError
from postmortem.plans import FilePlan, Options
from postmortem.sources import LogFile

# A byte sequence no text line holds, as the line reader's column delimiter: a line that does hold it makes
# strict mode fail and the file is split in Python instead (exact either way).
LINE_DELIMITER = "\x01\x02\x03\x04"
# What DuckDB's strict line reader raises for a file it cannot split exactly: bytes that are not UTF-8, a lone
# CR, a line over its max_line_size (InvalidInput), a line longer than its buffer with lines after it
# (NotImplemented: "The Parallel CSV Reader currently does not support a full read on this file").
PYTHON_SPLITS = (duckdb.InvalidInputException, duckdb.NotImplementedException)
SNIFF_RECORDS = 2000
# A JSON object with more keys is a reject (docs/hostile-input.md): real records have dozens, and one with
# 100,000 once exhausted the memory of the query that lists a file's fields.
MAX_KEYS = 10_000
SAMPLE_LINES = 10_000  # a file's first lines, for the sampling queries where it is staged in one pass
# The reason one pass over a CSV file gives a line that opens a quoted field spanning lines (see csv_lines.sql):
# never stored, the file is staged again from its lines kept in a table.
SPANNING = "a quoted CSV field spans lines"


def first_line(err: BaseException) -> str:
    return queries.engine_message(err)


class NotInOnePass(Exception):
    """A CSV file that one pass cannot stage exactly (a quoted field spans lines, or its header is not among the
    first lines): it is staged from its lines kept in a table instead."""


class BatchRefused(Exception):
    """A batch of small files cannot be loaded as one (DuckDB's strict reader refused one of them, or two hold the
    same content): each is loaded alone instead, where every case is handled and named."""


def read_and_stage(
    con,
    batch: list[FilePlan],
    options: Options,
    *,
    in_python: bool = False,
    on_read: Callable[[int], None] | None = None,
) -> Staged:
    """Read one file, or a batch of small JSON-lines files, and stage its records (see stage). A JSON, logfmt or
    CSV file that DuckDB's strict reader splits is staged in one pass from the file, one row per line (a CSV file
    while no quoted field spans lines); every other file, and a batch (small, and read whole by the sampling
    queries anyway), is first read into `source_lines` (where its lines are numbered). `on_read`: told the
    compressed bytes of a gzip file read so far (DuckDB cannot tell how far into its pipe it is)."""
    logs = [planned.log for planned in batch]
    if len(logs) > 1:
        try:
            read_lines_in_duckdb(con, logs)
        except duckdb.Error as err:
            raise BatchRefused from err
        return stage(con, batch, options, one_pass=False)
    log = logs[0]
    if in_python:  # a line longer than DuckDB's reader keeps (sources.long_line)
        _read_lines_in_python(con, log)
        return _split_in_python(stage(con, batch, options, one_pass=False))
    with sources.fed(log, on_read) as feed:
        try:
            staged = _read_and_stage_alone(con, batch, options, feed)
        except (duckdb.Error, PostmortemError) as err:
            if feed is not None and feed.error is not None:  # the stream ended early: what DuckDB read is moot
                raise InputError(f"{log.name}: cannot read: {feed.error}") from err
            raise
        if feed is not None and not staged.split_in_python:
            if feed.error is not None:
                raise InputError(f"{log.name}: cannot read: {feed.error}") from feed.error
            staged.long_line = feed.long_line
    return staged


def _read_and_stage_alone(con, batch: list[FilePlan], options: Options, feed: sources.Feed | None) -> Staged:
    log = batch[0].log
    if _in_one_pass(log):
        try:
            return stage(con, batch, options, one_pass=True, feed=feed)
        except duckdb.IOException as err:
            _cannot_read(log, err)
        except PYTHON_SPLITS:  # a line DuckDB cannot split exactly: Python splits the file
            queries.execute(con, "ingest/cleanup")
            _read_lines_in_python(con, log)
            return _split_in_python(stage(con, batch, options, one_pass=False))
        except NotInOnePass:
            queries.execute(con, "ingest/cleanup")
    in_python = read_lines(con, log, feed)
    return _split_in_python(stage(con, batch, options, one_pass=False), in_python)


def _split_in_python(staged: Staged, in_python: bool = True) -> Staged:
    staged.split_in_python = in_python
    return staged


def _in_one_pass(log: LogFile) -> bool:
    return formats.get(log.format).one_pass and log.name_is_utf8


def read_lines(con, log: LogFile, feed: sources.Feed | None = None) -> bool:
    """A file's physical lines into `source_lines`, numbered by rowid; True where Python split them. `feed`:
    DuckDB reads a gzip file's lines from it."""
    parquet = formats.get(log.format).read == "parquet"
    if not log.name_is_utf8:  # DuckDB opens files by UTF-8 name only; Python opens any
        if parquet:
            raise InputError(f"{log.name}: a Parquet file needs a UTF-8 file name; rename it")
        _read_lines_in_python(con, log)
        return True
    if parquet:
        queries.execute(con, "ingest/read_parquet", path=str(log.path))
        return False
    try:
        read_lines_in_duckdb(con, [log], feed)
    except PYTHON_SPLITS:
        _read_lines_in_python(con, log)
        return True
    except duckdb.IOException as err:
        _cannot_read(log, err)
    return False


def _cannot_read(log: LogFile, err: duckdb.IOException):
    if "No space left" in str(err):
        raise err
    raise InputError(f"{log.name}: cannot read: {first_line(err)}") from err


def read_lines_in_duckdb(con, logs: list[LogFile], feed: sources.Feed | None = None) -> None:
    queries.materialise(con, "source_lines", [], "ingest/lines_of_files", **_line_params(logs, feed))


def _line_params(logs: list[LogFile], feed: sources.Feed | None = None) -> dict:
    if feed is not None:  # one gzip file, inflated by the feed
        return {"paths": [str(feed.path)], "compression": "none", "line_delimiter": LINE_DELIMITER}
    return {
        "paths": [str(log.path) for log in logs],
        "compression": logs[0].duckdb_compression,
        "line_delimiter": LINE_DELIMITER,
    }


def _read_lines_in_python(con, log: LogFile) -> None:
    """The exact fallback for what DuckDB's strict line reader refuses (see postmortem/sources.py)."""
    queries.execute(con, "ingest/cleanup")
    first = True
    try:
        for frame in sources.fallback_batches(log):
            con.register("fallback_batch", frame)
            queries.execute(con, "ingest/fallback_create" if first else "ingest/fallback_append")
            con.unregister("fallback_batch")
            first = False
    except sources.READ_ERRORS as err:
        raise InputError(f"{log.name}: cannot read: {err}") from None
    if first:  # an empty file
        queries.execute(con, "ingest/read_nothing")


@dataclass
class Staged:
    """What staging found out about the file (or batch) in `staged`, for the summary and the append."""

    plan: mapping.Plan  # how the fields were mapped
    available: list[str]  # the source names the file has (for hints)
    header_line: int  # a CSV's header line (0 for other formats)
    notes: list[str]  # what was assumed (a year), for every file staged
    file_services: list[str | None]  # by file: the service its name stands in for, where its lines name none
    lines: dict[int, tuple[int, int]]  # by file: (its first line's number in what was read, its lines)
    records: list[tuple[str, str]]  # the queries that make `records` from source_lines (none: it is a table)
    record_params: dict  # their parameters
    split_in_python: bool = False  # the lines were split by Python (sources.fallback_batches), not DuckDB
    long_line: bool = False  # a line over sources.LINE_LIMIT was fed to DuckDB, which may have dropped it


def stage(con, batch: list[FilePlan], options: Options, *, one_pass: bool, feed: sources.Feed | None = None) -> Staged:
    """Records (format-specific parse) then checked rows (kind-specific checks) into `staged_lines`, read as
    the view `staged`. A batch of small files is staged as one, by the mapping of its first file's plan (they
    share format, kind and profile); where the mapping has no service field, each file's name stands in for its
    own lines. `one_pass`: JSON or CSV lines parsed and checked in one statement from the files themselves
    (nothing in between is kept; NotInOnePass where a CSV's quoted field spans lines); otherwise from
    `source_lines`, with CSV and text records kept in a table (their records join lines). `feed`: a gzip
    file's lines come from it (sources.Feed)."""
    planned = batch[0]
    log, kind, profile = planned.log, planned.kind, planned.profile
    user = options.mapping
    chosen = user.merged_over(profile.mapping_for(kind)) if profile else user
    default_service = service_of(log)
    year = options.year or datetime.fromtimestamp(log.path.stat().st_mtime, UTC).year
    header_line = 0
    records: list[tuple[str, str]] = []
    record_params: dict = {}
    line_params = _line_params([p.log for p in batch], feed)
    if one_pass:  # the sampling queries below read the first lines, kept once
        reader = [("lines_of_files", "ingest/lines_of_files")]
        queries.materialise(con, "source_lines", reader, "ingest/sample_lines", limit=SAMPLE_LINES, **line_params)
    route = formats.get(log.format).route
    if route == "csv":
        header = sources.csv_header(log)
        header_line = queries.run(con, "ingest/first_line").item()
        if header_line is None and one_pass and queries.run(con, "ingest/unit_lines")["lines"].sum() >= SAMPLE_LINES:
            raise NotInOnePass  # the header comes after the lines sampled
        header_line = header_line or 0
        if one_pass and queries.run(con, "ingest/sample_spans", header_line=header_line).item():
            raise NotInOnePass  # a quoted field spans lines among the first lines
        available = header
        plan = mapping.resolve(kind, chosen, header, nested=False, default_service=default_service)
        positions = [header.index(name) + 1 for name in plan.sources]
        extra = [i + 1 for i in range(len(header)) if i + 1 not in positions]  # a repeated column's later copies too
        csv_params = {
            "header_line": header_line,
            "delimiter": log.delimiter,
            "field_pattern": _csv_field_pattern(log.delimiter),
            "width": len(header),
            "positions": positions or [0],
            "extra_names": [_column_names(header)[i - 1] for i in extra],
            "extra_positions": extra,
            "spanning": SPANNING,
        }
        if one_pass:  # the records of the first lines for the sampling queries, of the file's lines below
            csv_lines = [("numbered_lines", "ingest/numbered_lines"), ("csv_records", "ingest/csv_lines")]
            records = [*csv_lines, ("records", "ingest/records_csv")]
            record_params = {**line_params, **csv_params}
        else:
            joined = [("csv_records", "ingest/csv_joined_lines")]
            queries.materialise(con, "records", joined, "ingest/records_csv", **csv_params)
    elif route == "text":
        pattern = chosen.pattern
        if pattern is None:
            raise InputError(f"{log.name}: a text log needs --pattern or a --profile with one")
        groups = profiles.check_pattern(pattern)
        available = groups + _params_named(chosen, groups)
        plan = mapping.resolve(kind, chosen, available, nested=False, default_service=default_service)
        message_at = plan.sources.index(_message_source(plan)) + 1 if _message_source(plan) else 0
        queries.materialise(
            con,
            "records",
            [],
            "ingest/records_text",
            pattern=pattern,
            groups=groups,
            sources=[mapping.literal_path(s if s in groups else s.split(".")[0]) for s in plan.sources] or ["$.\u0000"],
            param_patterns=[_param_pattern(s, groups) for s in plan.sources] or [""],
            message_at=message_at,
            multiline=chosen.multiline,
        )
    else:
        json_lines = [("numbered_lines", "ingest/numbered_lines"), ("json_lines", formats.get(log.format).json_lines)]
        fields = queries.run_chained(con, json_lines, "ingest/json_fields", limit=SNIFF_RECORDS, max_keys=MAX_KEYS)
        available = fields["field"].to_list()
        plan = mapping.resolve(kind, chosen, available, nested=True, default_service=default_service)
        checks = queries.run_chained(
            con, json_lines, "ingest/json_checks", sources=plan.params()["sources"], limit=SNIFF_RECORDS
        )
        records = [*json_lines, ("records", "ingest/records_json")]
        record_params = {
            **line_params,
            "sources": plan.params()["sources"],
            "known": plan.known,
            "check_duplicates": checks["duplicates"].item(),
            "check_nested": checks["nested"].item(),
            "max_keys": MAX_KEYS,
        }
    notes = [note for field, note in plan.defaulted.items() if field != "service"]
    numbers = (
        queries.run_chained(con, records, "ingest/numeric_levels", at=_level_at(plan), **record_params)
        if kind == "error"
        else None
    )
    try:
        scale = mapping.level_scale(chosen, numbers.to_series().to_list() if numbers is not None else [])
    except mapping.UnclearScale as err:
        raise InputError(f"{log.name}: {err}; {hints.for_scales(err.numbers, err.fits)}") from None
    if scale and not chosen.level_scale:
        notes.append(
            f"numeric levels read on the {scale} scale ({mapping.SCALE_RANGES[scale]}), the one their values fit"
        )
    level_names, level_values = mapping.level_table(chosen, scale)
    ts_params = log_times.parameters(options.tz, chosen.ts_formats, year, options.clock_offset_s)
    at = (plan.alternatives[0] or [0])[0]
    yearless = {k: ts_params[k] for k in ("ts_formats", "yearless_formats")}
    if queries.run_chained(con, records, "ingest/yearless_timestamps", at=at, **yearless, **record_params).item():
        notes.append(
            f"timestamps without a year read as {year}"
            + ("" if options.year else " (the file's modification year; --year to choose)")
        )
    params = {**record_params, **plan.params(), **ts_params}
    file_services: list[str | None] = [None] * len(batch)
    if kind == "error":
        if "service" in plan.defaulted:  # per file, not the plan's one default
            file_services = [service_of(p.log) for p in batch]
            params["defaults"] = [
                None if f == "service" else d for f, d in zip(mapping.FIELDS[kind], params["defaults"], strict=True)
            ]
        params.update(level_names=level_names, level_values=level_values, file_services=file_services)
    timed = [*records, ("timed_records", "ingest/timed_records")]
    if one_pass:  # the files' lines, not the sample's
        read = [("lines_of_files", "ingest/lines_of_files"), ("numbered_lines", "ingest/unnumbered_lines")]
        queries.materialise(con, "staged_lines", [*read, *timed[1:]], f"ingest/stage_{kind}", **params)
    else:
        queries.materialise(con, "staged_lines", timed, f"ingest/stage_{kind}", **params)
    queries.execute(con, "ingest/staged_view")
    if one_pass and route == "csv":
        queries.execute(con, "ingest/skip_header", header_line=header_line)
        if queries.run(con, "ingest/spanning_records", spanning=SPANNING).item():
            raise NotInOnePass
    if one_pass:  # its lines were never kept: staged_lines has one row per line
        lines_read = queries.run(con, "ingest/unit_lines_in_one_pass")
    else:
        lines_read = queries.run(con, "ingest/unit_lines")
    by_file = {row[0]: (row[1], row[2]) for row in lines_read.rows()}
    return Staged(plan, available, header_line, notes, file_services, by_file, records, record_params)


def sub_second(con, staged: Staged, files: int) -> dict[int, bool]:
    """By file: whether its timestamps are written below a second (judged on its first 10,000 records; in one
    pass, on the lines sampled before)."""
    params = staged.plan.params()
    frame = queries.run_chained(
        con,
        staged.records,
        "ingest/sub_second",
        limit=10_000 * files,
        **staged.record_params,
        **{k: params[k] for k in ("parts", "alternatives", "constants", "defaults")},
    )
    return dict(frame.rows())


def service_of(log: LogFile) -> str:
    """The service a log's file name stands for (`api-7f9c.log.gz` -> `api-7f9c`)."""
    return re.sub(r"[^\w.-]+", "_", log.path.name.split(".")[0]) or "unknown"


def _column_names(header: list[str]) -> list[str]:
    """The header's names, a repeated one numbered by its place among its copies (`message`, `message_2`) so that
    every column keeps its value under a name of its own (in `extra`) and none is dropped."""
    names: list[str] = []
    for name in header:
        unique, copy = name, 1
        while unique in names or (copy > 1 and unique in header):
            copy += 1
            unique = f"{name}_{copy}"
        names.append(unique)
    return names


def _params_named(chosen: mapping.Mapping, groups: list[str]) -> list[str]:
    """The `GROUP.KEY` sources a text log's mapping names: the value of `KEY="..."` inside a group's text (an RFC
    5424 structured-data parameter: `sd.eventID` in `[exampleSDID@32473 eventID="1011"]`)."""
    named = [name for alternatives in chosen.fields.values() for parts in alternatives for name in parts]
    return list(dict.fromkeys(n for n in named if n not in groups and n.split(".")[0] in groups and "." in n))


def _param_pattern(source: str, groups: list[str]) -> str:
    """For a `GROUP.KEY` source, the expression that reads KEY's quoted value (escapes kept as written); else ''."""
    if source in groups:
        return ""
    key = source.split(".", 1)[1]
    return r"(?:^|[\s\[])" + re.escape(key) + r'="((?:[^"\\\]]|\\.)*)"'


def _csv_field_pattern(delimiter: str) -> str:
    d = re.escape(delimiter)
    return f'(?:^|{d})("(?:[^"]|"")*"|[^{d}]*)'


def _message_source(plan: mapping.Plan) -> str | None:
    at = mapping.FIELDS[plan.kind].index("message") if "message" in mapping.FIELDS[plan.kind] else None
    if at is None or not plan.alternatives[at]:
        return None
    return plan.sources[plan.alternatives[at][0] - 1]


def _level_at(plan: mapping.Plan) -> int:
    if plan.kind != "error":
        return 0
    alternatives = plan.alternatives[mapping.FIELDS["error"].index("level")]
    return alternatives[0] if alternatives else 0
