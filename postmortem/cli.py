"""The command line: each command parses options, calls one library function and prints its result.

Start-up time is part of the interface (`--help` and `--version` answer in well under 0.3 s): this module
imports only typer and the light `choices`; each command imports the library it calls (DuckDB, polars, rich,
altair) in its own body, where a Ctrl-C during that import is caught like any other."""

from __future__ import annotations

import functools
import inspect
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from postmortem import __version__, interrupts
from postmortem.choices import (
    DEFAULT_DB,
    DEFAULT_MEMORY_LIMIT,
    DEFAULT_THREADS,
    Detection,
    ReportFormat,
    TableFormat,
    TimelineFormat,
    WebrtcFailure,
    schema_names,
)
from postmortem.engine_options import engine_options
from postmortem.errors import InputError, PostmortemError

if TYPE_CHECKING:
    import polars as pl

app = typer.Typer(
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: rich formatting alone took 0.2-0.6 s of every `--help`
    pretty_exceptions_show_locals=False,
    help="Incident postmortem analytics for live audio rooms: ingest logs, rebuild the timeline, report.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"postmortem {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
):
    """Incident postmortem analytics for live audio rooms: ingest logs, rebuild the timeline, report.

    Workflow: postmortem ingest LOGS -> postmortem notes-template -> edit incident.toml -> postmortem report
    --notes incident.toml.
    """


DbOption = Annotated[Path, typer.Option("--db", envvar="POSTMORTEM_DB", help="DuckDB file.")]
Threads = Annotated[int, typer.Option(envvar="POSTMORTEM_THREADS", help="DuckDB worker threads.")]
MemoryLimit = Annotated[
    str,
    typer.Option(
        envvar="POSTMORTEM_MEMORY_LIMIT",
        help="DuckDB memory limit; beyond it DuckDB spills to disk.",
    ),
]
RawCsv = Annotated[
    bool,
    typer.Option(
        "--raw", help="CSV: write text cells as stored; by default one starting = + - @ tab or CR gets a leading '."
    ),
]

Timeout = Annotated[
    float,
    typer.Option(
        envvar="POSTMORTEM_TIMEOUT", min=0, help="Stop the query after this many seconds (0: no limit); Ctrl-C also."
    ),
]
DEFAULT_TIMEOUT = 300.0


SINCE_HELP = "Only events at or after this time: ISO-8601, or relative to the incident (onset-5m, detected)."
UNTIL_HELP = "Only events at or before this time: ISO-8601, or relative (onset+10m, resolved; also mitigated)."

# What Ctrl-C leaves behind, by command; any other command changes nothing, so its work is simply not done.
INTERRUPTED = {"ingest_cmd": "interrupted; completed work is kept, the file in progress was not loaded"}


def one_line_errors(command):
    """User-facing failures become `error: ...` on stderr and exit 1, never a traceback; Ctrl-C is one line and
    exit 130. The message may echo a file name or log text, so its control characters are shown escaped (and it
    stays one line)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except PostmortemError as err:
            from postmortem.terminal import visible

            typer.echo(f"error: {visible(str(err))}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            say_interrupted(INTERRUPTED.get(command.__name__, "interrupted"))
            raise typer.Exit(130) from None
        except Exception as err:
            # DuckDB noticing Ctrl-C itself raises its own error, not KeyboardInterrupt, and Python turns one
            # landing in a C extension's start-up into an ImportError: the same one line then
            if not (_engine_interrupted(err) or interrupts.seen):
                raise
            say_interrupted(INTERRUPTED.get(command.__name__, "interrupted"))
            raise typer.Exit(130) from None

    return wrapper


def _engine_interrupted(err: Exception) -> bool:
    """duckdb 2.0 reports a Ctrl-C it caught as InterruptException or RuntimeError("Query interrupted")."""
    return type(err).__name__ == "InterruptException" or (
        isinstance(err, RuntimeError) and "interrupted" in str(err).lower()
    )


_interrupt_said = False


def say_interrupted(message: str = "interrupted") -> None:
    """The one line Ctrl-C prints, once: a second Ctrl-C while the command unwinds (a transaction rolling back)
    is ignored rather than a traceback."""
    global _interrupt_said
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if not _interrupt_said:
        _interrupt_said = True
        typer.echo(f"error: {message}", err=True)


@app.command("ingest")
@one_line_errors
def ingest_cmd(
    paths: Annotated[list[str], typer.Argument(help="Log files, directories or globs.", show_default=False)],
    kind: Annotated[
        str | None,
        typer.Option(help="join, error, glitch, metric or webrtc; default: by content, file name, then fields."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", help="jsonl, csv, parquet, logfmt, text, directive, otlp or cloudtrail; default: by content."
        ),
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="A built-in profile (see `postmortem profiles`) or a profile .toml file.")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="FIELD=SOURCE: which source field is ours (Date+Time joins two; a.b is nested)."),
    ] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="FIELD=VALUE for a field the log lacks.")] = None,
    ts_format: Annotated[
        list[str] | None, typer.Option(help="strptime format for timestamps that are not ISO-8601 (tried in order).")
    ] = None,
    level_map: Annotated[
        list[str] | None, typer.Option(help="SOURCE=LEVEL for levels outside the common vocabularies (*=LEVEL: rest).")
    ] = None,
    level_scale: Annotated[
        str | None,
        typer.Option(
            help="Scale of numeric levels: syslog, nextcloud/php, dotnet, bunyan/pino, otel, http, syslog_pri."
        ),
    ] = None,
    default: Annotated[
        list[str] | None, typer.Option("--default", help="FIELD=VALUE where a record has no value for FIELD.")
    ] = None,
    pattern: Annotated[
        str | None, typer.Option(help="Text logs: a regex with named groups, e.g. (?P<ts>...) (?P<message>.*).")
    ] = None,
    multiline: Annotated[
        bool, typer.Option(help="Text logs: a line the pattern does not match continues the record above.")
    ] = False,
    year: Annotated[int | None, typer.Option(help="Year of timestamps written without one (syslog).")] = None,
    tz: Annotated[str, typer.Option(help="Zone of timestamps that carry no offset.")] = "UTC",
    clock_offset: Annotated[
        str, typer.Option(help="Shift these files' clocks, e.g. -90s or +2m (recorded per file).")
    ] = "0s",
    dedup: Annotated[
        str, typer.Option(help="auto, on or off: drop exact duplicate records (see docs/log-format.md).")
    ] = "auto",
    replace: Annotated[
        bool, typer.Option(help="Take back what these files loaded before and load them again with these options.")
    ] = False,
    strict: Annotated[bool, typer.Option(help="Exit non-zero if any line is rejected.")] = False,
    db_path: DbOption = Path(DEFAULT_DB),
    threads: Threads = DEFAULT_THREADS,
    memory_limit: MemoryLimit = DEFAULT_MEMORY_LIMIT,
    lake: Annotated[
        str | None,
        typer.Option(help="Write a Delta lake (a folder, s3://, gs://, az://) instead of --db (docs/scale-out.md)."),
    ] = None,
):
    """Load logs into the database: room-event (join), error and glitch logs, and any service log as it comes
    (JSON lines, CSV, Parquet, logfmt, syslog and other text; gzip/zstd).

    Example: postmortem ingest sample_logs/   |   postmortem ingest HDFS.csv --map ts=Date+Time
    """
    from postmortem import ingest as ingest_mod
    from postmortem import mapping, terminal
    from postmortem.human_times import parse_duration

    field_map = mapping.parse_options(
        map_, set_, ts_format, level_map, pattern, multiline, defaults=default, level_scale=level_scale
    )
    options = ingest_mod.Options(
        kind=kind,
        format=fmt,
        profile=profile,
        mapping=field_map,
        tz=tz,
        clock_offset_s=parse_duration(clock_offset),
        year=year,
        dedup=dedup,
        replace=replace,
    )
    with terminal.progress_bar() as bar:
        if lake:  # same shape; a lake takes many writers
            from postmortem.lake_write import ingest_lake as load
        else:
            load = ingest_mod.ingest_into
        summary = load(lake or db_path, paths, options, threads=threads, memory_limit=memory_limit, on_progress=bar)
    terminal.ingest_summary(summary)
    if strict and summary.rejected:
        typer.echo(f"error: {summary.rejected} line(s) rejected (--strict)", err=True)
        raise typer.Exit(2)
    if summary.failed:
        names = ", ".join(f.name for f in summary.failed)
        message = f"nothing loaded from {len(summary.failed)} file(s), every line rejected: {names}"
        typer.echo(f"error: {terminal.visible(message)}", err=True)
        raise typer.Exit(1)


@app.command("profiles")
@one_line_errors
def profiles_cmd():
    """List the built-in log profiles (for `ingest --profile`), each with an example line.

    Example: postmortem profiles
    """
    from postmortem import profiles, terminal

    terminal.profiles_table(profiles.built_in())


@app.command()
@one_line_errors
def simulate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the three logs into.")],
    listeners: Annotated[int, typer.Option(min=10, help="Listeners in the failed room.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes the same bytes.")] = 7,
    force: Annotated[bool, typer.Option(help="Write into a folder that is not empty.")] = False,
    webrtc: Annotated[
        int, typer.Option(min=0, help="Also write rtcstats dumps (webrtc/) for this many listeners and the speakers.")
    ] = 0,
    webrtc_failure: Annotated[
        WebrtcFailure, typer.Option(help="What the dumps plant: speaker (a mic feedback loop) or edge (an edge fails).")
    ] = WebrtcFailure.speaker,
    metrics: Annotated[
        bool, typer.Option(help="Also write metrics.json, a Prometheus export with leading and lagging series.")
    ] = False,
):
    """Write a deterministic simulation of the incident (join.jsonl, error.csv, glitch.jsonl.gz) into a new
    or empty folder.

    Example: postmortem simulate /tmp/incident --listeners 600000 --webrtc 200
    """
    from postmortem import terminal
    from postmortem.simulate import simulate as run

    truth = run(
        out_dir,
        listeners=listeners,
        seed=seed,
        force=force,
        webrtc=webrtc,
        webrtc_failure=webrtc_failure,
        metrics=metrics,
    )
    wrote = f"wrote {out_dir}: incident room {truth.incident_space}, replacement {truth.replacement_space}"
    terminal.out.print(terminal.visible(wrote), markup=False)


Space = Annotated[str | None, typer.Option(help="The incident room; default: the one whose audio degraded worst.")]
Factor = Annotated[float, typer.Option(help="A degraded minute has this many times the baseline glitch share.")]
BaselineMinutes = Annotated[int, typer.Option(help="Minutes at a room's start that set its glitch baseline.")]
Window = Annotated[int, typer.Option(help="Minutes after the failed room ended in which a replacement may start.")]
FloorShare = Annotated[float, typer.Option(help="A degraded minute has at least this share of users reporting.")]
MinReporters = Annotated[int, typer.Option(help="A degraded minute has at least this many users reporting.")]
SustainMinutes = Annotated[int, typer.Option(help="Consecutive minutes that make a degradation or a recovery.")]
LeadMinutes = Annotated[int, typer.Option(help="Errors up to this long before degradation count as detecting it.")]
# The incident-detection options, declared once: (option name, type, Detection field or None for `space`).
DETECTION_OPTIONS = [
    ("space", Space, None),
    ("factor", Factor, "factor"),
    ("baseline_minutes", BaselineMinutes, "baseline_minutes"),
    ("switchover_window", Window, "window_minutes"),
    ("floor_share", FloorShare, "floor_share"),
    ("min_reporters", MinReporters, "min_reporters"),
    ("sustain_minutes", SustainMinutes, "sustain_minutes"),
    ("lead_minutes", LeadMinutes, "lead_minutes"),
]


def detection_options(command):
    """Give a command the incident-detection options (`--space`, `--factor`, ...) and call it with one
    `space` and one built `detection: Detection` instead of eight loose values."""
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name not in ("space", "detection")]
    added = [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            annotation=kind,
            default=None if field is None else getattr(Detection, field),
        )
        for name, kind, field in DETECTION_OPTIONS
    ]
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own]

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        values = {name: kwargs.pop(name) for name, _, _ in DETECTION_OPTIONS}
        detection = Detection(**{field: values[name] for name, _, field in DETECTION_OPTIONS if field})
        return command(*args, space=values["space"], detection=detection, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=own + added)
    wrapper.__annotations__ = {p.name: p.annotation for p in own + added}
    return wrapper


@app.command()
@one_line_errors
@engine_options
@detection_options
def query(
    name: Annotated[str | None, typer.Argument(help="A query in queries/, e.g. spaces.", show_default=False)] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="name=value for a $name; default: from the detected incident."),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List the queries: what each answers, its parameters and their values here.")
    ] = False,
    since: Annotated[str | None, typer.Option(help="Sets $start: ISO-8601 or relative to the incident (onset-5m).")] = (
        None
    ),
    until: Annotated[str | None, typer.Option(help="Sets $end: ISO-8601 or relative to the incident (resolved).")] = (
        None
    ),
    fmt: Annotated[TableFormat, typer.Option("--format", help="Output format.")] = TableFormat.table,
    raw: RawCsv = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    db_path: DbOption = Path(DEFAULT_DB),
    threads: Threads = DEFAULT_THREADS,
    memory_limit: MemoryLimit = DEFAULT_MEMORY_LIMIT,
    space: str | None = None,
    detection: Detection = Detection(),
):
    """Run one named query from queries/ and print its rows. Parameters not given (the room, the impact
    window, ...) are those of the detected incident; `query --list` shows the values they take here.

    Example: postmortem query blast_radius --since onset-5m --until onset+10m --format csv
    """
    from postmortem import commands, queries

    if list_ or name is None:
        catalogue = commands.query_catalogue(
            db_path, space=space, detection=detection, threads=threads, memory_limit=memory_limit
        )
        if fmt is TableFormat.table:
            from postmortem import terminal

            terminal.catalogue(catalogue)
        else:
            _print_frame(catalogue, fmt.value)
        return
    params = queries.parse_params(param or [])
    frame = commands.run_query(
        db_path,
        name,
        params,
        space=space,
        detection=detection,
        since=since,
        until=until,
        timeout=timeout,
        threads=threads,
        memory_limit=memory_limit,
    )
    _print_frame(frame, fmt.value, raw=raw)


def _sql_help() -> str:
    names = schema_names()
    return f"""Run one ad hoc query against the database: read-only, no other files, no network, no SET. Ctrl-C or
    --timeout stops it.

    Tables: {", ".join(names["tables"])}. Views: {", ".join(names["views"])} (docs/definitions.md).

    The detected incident (the same as `report` finds; --space and the detection options choose it) is in
    DuckDB variables: {", ".join(f"getvariable('{v}')" for v in names["variables"])}.

    Example: postmortem sql "select user_id, ts from join_events where space_id = getvariable('incident_room')
    and ts between getvariable('onset') - interval 5 minute and getvariable('onset')"
    """


@app.command(help=_sql_help())
@one_line_errors
@detection_options
def sql(
    statement: Annotated[str, typer.Argument(help="One query; it can read this database and nothing else.")],
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    raw: RawCsv = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    db_path: DbOption = Path(DEFAULT_DB),
    threads: Threads = DEFAULT_THREADS,
    memory_limit: MemoryLimit = DEFAULT_MEMORY_LIMIT,
    space: str | None = None,
    detection: Detection = Detection(),
    lake: Annotated[str | None, typer.Option(envvar="POSTMORTEM_LAKE", help="Query this lake instead of --db.")] = None,
):
    from postmortem import commands

    _check_format(fmt, ("table", "csv", "json"))
    frame = commands.run_sql(
        db_path,
        statement,
        lake=lake,
        space=space,
        detection=detection,
        timeout=timeout,
        threads=threads,
        memory_limit=memory_limit,
    )
    _print_frame(frame, fmt, raw=raw)


@app.command()
@one_line_errors
@engine_options
@detection_options
def timeline(
    fmt: Annotated[TimelineFormat, typer.Option("--format", help="Output format (timesketch: JSONL).")] = (
        TimelineFormat.table
    ),
    output_path: Annotated[str, typer.Option("--output", "-o", help="File to write; - is stdout.")] = "-",
    since: Annotated[str | None, typer.Option(help=SINCE_HELP)] = None,
    until: Annotated[str | None, typer.Option(help=UNTIL_HELP)] = None,
    kind: Annotated[
        list[str] | None, typer.Option(help="Only events of this kind (prefix, repeatable): e.g. speaker, phase.")
    ] = None,
    notes: Annotated[
        Path | None, typer.Option(help="incident.toml: its times and [[timeline]] entries are events.")
    ] = None,
    display_tz: Annotated[str | None, typer.Option(help="Also show times in this IANA zone (table).")] = None,
    db_path: DbOption = Path(DEFAULT_DB),
    threads: Threads = DEFAULT_THREADS,
    memory_limit: MemoryLimit = DEFAULT_MEMORY_LIMIT,
    space: str | None = None,
    detection: Detection = Detection(),
):
    """Print the reconstructed incident timeline (UTC, to the second), or export it for Timesketch.

    Example: postmortem timeline --since onset-5m --until onset+10m --kind speaker --display-tz America/New_York
    """
    from postmortem import commands, export, terminal

    commands.timeline_frame([], display_tz)  # a bad zone fails before any work
    found = commands.timeline(
        db_path,
        space=space,
        detection=detection,
        notes_path=notes,
        since=since,
        until=until,
        kinds=kind,
        threads=threads,
        memory_limit=memory_limit,
    )
    if found.empty_because:
        terminal.err.print(terminal.visible(found.empty_because), markup=False)
        if fmt is TimelineFormat.table:
            return  # an empty table adds nothing; an export is still written (empty), as asked
    if fmt is TimelineFormat.table:
        terminal.frame(commands.timeline_frame(found.events, display_tz), title="Timeline")
    else:
        export.write_text(commands.timeline_text(found.events, fmt), output_path)


@app.command()
@one_line_errors
@engine_options
@detection_options
def report(
    fmt: Annotated[ReportFormat, typer.Option("--format", help="Output format.")] = ReportFormat.html,
    output_path: Annotated[
        str | None,
        typer.Option("--output", "-o", help="File to write (- is stdout); default postmortem.html / .md / .json."),
    ] = None,
    notes: Annotated[Path | None, typer.Option(help="incident.toml with title, severity, narrative, actions.")] = None,
    display_tz: Annotated[str | None, typer.Option(help="Also show times in this IANA zone.")] = None,
    static: Annotated[bool, typer.Option(help="HTML with static SVG charts and no JavaScript.")] = False,
    db_path: DbOption = Path(DEFAULT_DB),
    threads: Threads = DEFAULT_THREADS,
    memory_limit: MemoryLimit = DEFAULT_MEMORY_LIMIT,
    space: str | None = None,
    detection: Detection = Detection(),
):
    """Write the postmortem: a single-file HTML report, Markdown for wikis, or the JSON summary.

    Example: postmortem report -o incident.html --notes incident.toml --display-tz America/New_York
    """
    from postmortem import commands, terminal

    written = commands.write_report(
        db_path,
        fmt=fmt,
        output=output_path,
        notes_path=notes,
        display_tz=display_tz,
        static=static,
        space=space,
        detection=detection,
        threads=threads,
        memory_limit=memory_limit,
    )
    for note in written.notes:
        terminal.err.print(f"note: {note}", markup=False)
    if written.target != "-":
        terminal.err.print(terminal.visible(f"wrote {written.target}"), markup=False)


lake_app = typer.Typer(
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    rich_markup_mode=None,
    help="Look after a lake: compact and vacuum it, convert one of the earlier layout.",
)
app.add_typer(lake_app, name="lake")
LakeArgument = Annotated[str, typer.Argument(help="The lake: a folder, or s3://..., gs://..., az://...")]


@lake_app.command("optimize")
@one_line_errors
def lake_optimize(
    lake: LakeArgument,
    retention_hours: Annotated[
        int, typer.Option(min=0, help="Keep files that versions this recent still read (Delta's default: 168).")
    ] = 168,
):
    """Compact the lake's small files (one commit per table) and delete files no recent version reads.

    Example: postmortem lake optimize s3://logs/incident-lake
    """
    from postmortem import terminal
    from postmortem.lake_write import optimize

    for table, done in optimize(lake, retention_hours=retention_hours).items():
        terminal.out.print(
            f"{table}: {done['files_removed']} file(s) compacted into {done['files_added']},"
            f" {done['files_deleted']} unread file(s) deleted",
            markup=False,
        )


@lake_app.command("convert")
@one_line_errors
def lake_convert(
    old: Annotated[str, typer.Argument(help="A lake of the earlier Parquet layout (it has a _schema folder).")],
    new: Annotated[str, typer.Argument(help="Where to write the Delta lake (a new folder or prefix).")],
):
    """Convert a lake of the earlier Parquet layout into a Delta lake; the old one is only read.

    Example: postmortem lake convert old-lake/ new-lake/
    """
    from postmortem import terminal
    from postmortem.lake_write import convert

    count = convert(old, new)
    terminal.out.print(terminal.visible(f"converted {count} file(s) of {old} into {new}"), markup=False)


@app.command("notes-template")
@one_line_errors
def notes_template(
    output_path: Annotated[str, typer.Option("--output", "-o", help="File to write; - is stdout.")] = "incident.toml",
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
):
    """Write a notes file to fill in for `report --notes`: TODO placeholders, shown as "to be written" until
    replaced. An existing file is never overwritten without --force.

    Example: postmortem notes-template -o incident.toml
    """
    from postmortem import terminal
    from postmortem.notes import write_template

    write_template(output_path, force=force)
    if output_path != "-":
        terminal.err.print(
            f"wrote {output_path}; fill it in, then: postmortem report --notes {output_path}", markup=False
        )


def _check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        raise InputError(f"unknown format {fmt!r}; use one of: {', '.join(allowed)}")


def _print_frame(frame: pl.DataFrame, fmt: str, *, raw: bool = False) -> None:
    from postmortem import export, terminal

    if fmt == "table":
        terminal.frame(frame)
    else:
        terminal.write(export.frame_text(frame, fmt, raw=raw))
