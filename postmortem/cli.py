"""The command line: each command parses options, calls one library function and prints its result."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer

from postmortem import db, ingest as ingest_mod, terminal
from postmortem.errors import PostmortemError

app = typer.Typer(
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    help="Incident postmortem analytics for live audio rooms: ingest logs, rebuild the timeline, report.",
)

DbOption = Annotated[Path, typer.Option("--db", envvar="POSTMORTEM_DB", help="DuckDB file.")]
Threads = Annotated[int, typer.Option(envvar="POSTMORTEM_THREADS", help="DuckDB worker threads.")]
MemoryLimit = Annotated[
    str, typer.Option(envvar="POSTMORTEM_MEMORY_LIMIT", help="DuckDB memory limit; beyond it DuckDB spills to disk.")
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
    with db.connect(db_path, threads=threads, memory_limit=memory_limit) as con, terminal.progress_bar() as bar:
        summary = ingest_mod.ingest(con, paths, kind=kind, tz=tz, clock_offset_s=offset, on_progress=bar)
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
