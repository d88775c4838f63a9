"""The command line: each command parses options, calls one library function and prints its result."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from postmortem import db, export, queries, terminal
from postmortem import ingest as ingest_mod
from postmortem.errors import InputError, PostmortemError
from postmortem.notes import TEMPLATE
from postmortem.output import load_timeline, write_report
from postmortem.summary import Detection

app = typer.Typer(
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    help="Incident postmortem analytics for live audio rooms: ingest logs, rebuild the timeline, report.",
)

DbOption = Annotated[Path, typer.Option("--db", envvar="POSTMORTEM_DB", help="DuckDB file.")]
Threads = Annotated[int, typer.Option(envvar="POSTMORTEM_THREADS", help="DuckDB worker threads.")]
MemoryLimit = Annotated[
    str,
    typer.Option(
        envvar="POSTMORTEM_MEMORY_LIMIT",
        help="DuckDB memory limit; beyond it DuckDB spills to disk.",
    ),
]


def one_line_errors(command):
    """User-facing failures become `error: ...` on stderr and exit 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except PostmortemError as err:
            typer.echo(f"error: {err}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            # Each file is appended in one transaction, so the file in progress simply is not there.
            typer.echo("error: interrupted; completed work is kept, the file in progress was not loaded", err=True)
            raise typer.Exit(130) from None

    return wrapper


@app.command("ingest")
@one_line_errors
def ingest_cmd(
    paths: Annotated[list[str], typer.Argument(help="Log files, directories or globs.", show_default=False)],
    kind: Annotated[str | None, typer.Option(help="join, error or glitch; default: by file name, then fields.")] = None,
    tz: Annotated[str, typer.Option(help="Zone of timestamps that carry no offset.")] = "UTC",
    clock_offset: Annotated[
        str, typer.Option(help="Shift these files' clocks, e.g. -90s or +2m (recorded per file).")
    ] = "0s",
    strict: Annotated[bool, typer.Option(help="Exit non-zero if any line is rejected.")] = False,
    db_path: DbOption = Path(db.DEFAULT_DB),
    threads: Threads = db.DEFAULT_THREADS,
    memory_limit: MemoryLimit = db.DEFAULT_MEMORY_LIMIT,
):
    """Load room-event (join), error and glitch logs into the database.

    Example: postmortem ingest sample_logs/
    """
    offset = ingest_mod.parse_duration(clock_offset)
    with terminal.progress_bar() as bar:
        summary = ingest_mod.ingest_into(
            db_path,
            paths,
            kind=kind,
            tz=tz,
            clock_offset_s=offset,
            threads=threads,
            memory_limit=memory_limit,
            on_progress=bar,
        )
    terminal.ingest_summary(summary)
    if strict and summary.rejected:
        typer.echo(f"error: {summary.rejected} line(s) rejected (--strict)", err=True)
        raise typer.Exit(2)


@app.command()
@one_line_errors
def simulate(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write the three logs into.")],
    listeners: Annotated[int, typer.Option(min=10, help="Listeners in the failed room.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed writes the same bytes.")] = 7,
):
    """Write a deterministic simulation of the incident (join.jsonl, error.csv, glitch.jsonl.gz).

    Example: postmortem simulate /tmp/incident --listeners 600000
    """
    from postmortem.simulate import simulate as run

    truth = run(out_dir, listeners=listeners, seed=seed)
    terminal.out.print(f"wrote {out_dir}: incident room {truth.incident_space}, replacement {truth.replacement_space}")


Space = Annotated[str | None, typer.Option(help="The incident room; default: the one whose audio degraded worst.")]
Factor = Annotated[float, typer.Option(help="A degraded minute has this many times the baseline glitch share.")]
BaselineMinutes = Annotated[int, typer.Option(help="Minutes at a room's start that set its glitch baseline.")]
Window = Annotated[int, typer.Option(help="Minutes after the failed room ended in which a replacement may start.")]
FloorShare = Annotated[float, typer.Option(help="A degraded minute has at least this share of users reporting.")]
MinReporters = Annotated[int, typer.Option(help="A degraded minute has at least this many users reporting.")]
SustainMinutes = Annotated[int, typer.Option(help="Consecutive minutes that make a degradation or a recovery.")]
LeadMinutes = Annotated[int, typer.Option(help="Errors up to this long before degradation count as detecting it.")]


@app.command()
@one_line_errors
def query(
    name: Annotated[str | None, typer.Argument(help="A query in queries/, e.g. spaces.", show_default=False)] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value for a $name in the query.")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the queries and what each answers.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    db_path: DbOption = Path(db.DEFAULT_DB),
):
    """Run one named query from queries/ and print its rows.

    Example: postmortem query switchover -p from_space=sp-main -p window_minutes=60
    """
    if list_ or name is None:
        for query_name in queries.names():
            terminal.out.print(f"{query_name}  {queries.describe(query_name)}", markup=False)
        return
    _check_format(fmt, ("table", "csv", "json"))
    with db.connect(db_path, read_only=True) as con:
        frame = queries.run(con, name, **queries.parse_params(param or []))
    _print_frame(frame, fmt)


@app.command()
@one_line_errors
def sql(
    statement: Annotated[str, typer.Argument(help="A SELECT (the database is opened read-only).")],
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    db_path: DbOption = Path(db.DEFAULT_DB),
):
    """Run ad hoc SQL, read-only, against the database. The views sessions, space_bounds, space_minutes exist.

    Example: postmortem sql "select space_id, count(*) from join_events group by all"
    """
    _check_format(fmt, ("table", "csv", "json"))
    with db.connect(db_path, read_only=True) as con:
        frame = queries.run_sql(con, statement)
    _print_frame(frame, fmt)


@app.command()
@one_line_errors
def timeline(
    fmt: Annotated[str, typer.Option("--format", help="table, json or timesketch (JSONL).")] = "table",
    output: Annotated[str, typer.Option("--output", "-o", help="File to write; - is stdout.")] = "-",
    space: Space = None,
    factor: Factor = Detection.factor,
    baseline_minutes: BaselineMinutes = Detection.baseline_minutes,
    switchover_window: Window = Detection.window_minutes,
    floor_share: FloorShare = Detection.floor_share,
    min_reporters: MinReporters = Detection.min_reporters,
    sustain_minutes: SustainMinutes = Detection.sustain_minutes,
    lead_minutes: LeadMinutes = Detection.lead_minutes,
    db_path: DbOption = Path(db.DEFAULT_DB),
):
    """Print the reconstructed incident timeline (UTC), or export it for Timesketch.

    Example: postmortem timeline --format timesketch -o timeline.jsonl
    """
    _check_format(fmt, ("table", "json", "timesketch"))
    events = load_timeline(
        db_path,
        space=space,
        detection=Detection(
            factor=factor,
            baseline_minutes=baseline_minutes,
            window_minutes=switchover_window,
            floor_share=floor_share,
            min_reporters=min_reporters,
            sustain_minutes=sustain_minutes,
            lead_minutes=lead_minutes,
        ),
    )
    if fmt == "table":
        terminal.frame(pl.DataFrame(events, schema=TIMELINE_SCHEMA), title="Timeline (UTC)")
    elif fmt == "json":
        export.write_text(export.summary_json({"events": events}), output)
    else:
        export.write_text(export.timesketch_lines(events), output)


TIMELINE_SCHEMA = {
    "ts": pl.Datetime("us", "UTC"),
    "space_id": pl.String,
    "kind": pl.String,
    "actor": pl.String,
    "detail": pl.String,
}


@app.command()
@one_line_errors
def report(
    fmt: Annotated[str, typer.Option("--format", help="html, md or json.")] = "html",
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="File to write (- is stdout); default postmortem.html / .md / .json.",
        ),
    ] = None,
    notes: Annotated[Path | None, typer.Option(help="incident.toml with title, severity, narrative, actions.")] = None,
    display_tz: Annotated[str | None, typer.Option(help="Also show times in this IANA zone.")] = None,
    static: Annotated[bool, typer.Option(help="HTML with static SVG charts and no JavaScript.")] = False,
    space: Space = None,
    factor: Factor = Detection.factor,
    baseline_minutes: BaselineMinutes = Detection.baseline_minutes,
    switchover_window: Window = Detection.window_minutes,
    floor_share: FloorShare = Detection.floor_share,
    min_reporters: MinReporters = Detection.min_reporters,
    sustain_minutes: SustainMinutes = Detection.sustain_minutes,
    lead_minutes: LeadMinutes = Detection.lead_minutes,
    db_path: DbOption = Path(db.DEFAULT_DB),
    threads: Threads = db.DEFAULT_THREADS,
    memory_limit: MemoryLimit = db.DEFAULT_MEMORY_LIMIT,
):
    """Write the postmortem: a single-file HTML report, Markdown for wikis, or the JSON summary.

    Example: postmortem report -o incident.html --notes incident.toml --display-tz America/New_York
    """
    _check_format(fmt, ("html", "md", "json"))
    written = write_report(
        db_path,
        fmt=fmt,
        output=output,
        notes_path=notes,
        display_tz=display_tz,
        static=static,
        space=space,
        detection=Detection(
            factor=factor,
            baseline_minutes=baseline_minutes,
            window_minutes=switchover_window,
            floor_share=floor_share,
            min_reporters=min_reporters,
            sustain_minutes=sustain_minutes,
            lead_minutes=lead_minutes,
        ),
        threads=threads,
        memory_limit=memory_limit,
    )
    if written != "-":
        terminal.err.print(f"wrote {written}")


@app.command("notes-template")
@one_line_errors
def notes_template(
    output: Annotated[str, typer.Option("--output", "-o", help="File to write; - is stdout.")] = "incident.toml",
):
    """Write a commented example notes file to fill in for `report --notes`.

    Example: postmortem notes-template -o incident.toml
    """
    export.write_text(TEMPLATE, output)


def _check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        raise InputError(f"unknown format {fmt!r}; use one of: {', '.join(allowed)}")


def _print_frame(frame: pl.DataFrame, fmt: str) -> None:
    if fmt == "table":
        terminal.frame(frame)
    else:
        export.write_text(export.frame_text(frame, fmt), "-")
