r"""Rendering results for a terminal: rich tables and a progress bar that stays quiet off a terminal.

Log text is attacker-controlled: an ESC in a user_id could move the cursor, retitle the window or hide a
line. Whatever reaches a terminal has its control characters shown escaped (`\x1b`), and table cells are
cut short, because rich's wrapping of one multi-megabyte cell takes minutes.
"""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from postmortem.ingest import IngestSummary

out = Console(highlight=False)
if not out.is_terminal:
    out = Console(highlight=False, width=200)  # pipes and CI logs: no wrapping of wide tables
err = Console(stderr=True, highlight=False)

MAX_CELL = 120  # characters of a table cell; --format csv/json give the whole value
# C0 and C1 controls, DEL, line/paragraph separators and the bidirectional overrides that reorder text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def visible(text: str, *, keep: str = "") -> str:
    r"""Control characters written as escapes (ESC as `\x1b`, a bidi override as `\u202e`), except
    those in `keep`: the text is then safe to show on any terminal."""

    def escape(match: re.Match) -> str:
        char = match.group()
        if char in keep:
            return char
        return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    return _CONTROL.sub(escape, text)


def cell(value: object) -> Text:
    """A table cell: shortened to MAX_CELL characters (saying how much was left out), controls escaped,
    and Text rather than markup so `[bold]` prints as typed."""
    text = "" if value is None else str(value)
    if len(text) > MAX_CELL:
        text = f"{text[:MAX_CELL]}… (+{len(text) - MAX_CELL:,} chars)"
    return Text(visible(text))


def write(text: str) -> None:
    """CSV or JSON on standard output: byte for byte into a pipe or file, controls escaped on a terminal
    (tabs and line ends are kept: they are the format's own)."""
    if out.is_terminal:
        text = visible(text, keep="\t\n")
    sys.stdout.write(text)
    sys.stdout.flush()


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


@contextmanager
def progress_bar():
    """A byte-progress callback for ingest; a no-op when stderr is not a terminal (CI, pipes)."""
    if not err.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}", markup=False),  # a file name is shown as named, never as markup
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[Path, int] = {}

        def update(path: Path, done: int, total: int) -> None:
            if path not in tasks:
                tasks[path] = bar.add_task(visible(path.name), total=total)
            bar.update(tasks[path], completed=done)

        yield update


def ingest_summary(summary: IngestSummary) -> None:
    files = Table(title="Files", title_justify="left")
    columns = (
        "file",
        "kind",
        "format",
        "status",
        "lines",
        "loaded",
        "rejected",
        "duplicates",
        "blank",
        "from (UTC)",
        "to (UTC)",
        "seconds",
    )
    for column in columns:
        files.add_column(column, justify="left" if column in ("file", "kind", "format", "status") else "right")
    listed = _listed(summary.files)
    for f in listed:
        files.add_row(
            cell(f.name),
            f.kind,
            cell(f.format + (f" ({f.profile})" if f.profile else "")),
            f.status,
            f"{f.lines_read:,}",
            f"{f.loaded:,}",
            f"{f.rejected:,}",
            f"{f.duplicates:,}",
            f"{f.blank:,}",
            _when(f.min_ts),
            _when(f.max_ts),
            f"{f.seconds:.2f}",
        )
    out.print(files)
    if len(listed) < len(summary.files):
        rest = [f for f in summary.files if f not in listed]
        statuses = ", ".join(f"{sum(f.status == s for f in rest):,} {s}" for s in dict.fromkeys(f.status for f in rest))
        out.print(f"{len(rest):,} more files ({statuses}): see `postmortem query files`")
    kinds = Table(title="By kind", title_justify="left")
    for column in ("kind", "files", "loaded", "rejected", "duplicates", "from (UTC)", "to (UTC)"):
        kinds.add_column(column, justify="left" if column == "kind" else "right")
    for kind, t in sorted(summary.by_kind().items()):
        kinds.add_row(
            kind,
            str(t["files"]),
            f"{t['loaded']:,}",
            f"{t['rejected']:,}",
            f"{t['duplicates']:,}",
            _when(t["min_ts"]),
            _when(t["max_ts"]),
        )
    out.print(kinds)
    for f in listed:
        for note in f.notes:
            out.print(f"note: {visible(f.name)}: {visible(note)}", markup=False)
    unlisted_notes = sum(1 for f in summary.files if f.notes and f not in listed)
    if unlisted_notes:
        out.print(f"note: {unlisted_notes:,} more files have notes like those above", markup=False)
    for f in summary.failed:
        reasons = "; ".join(f"{visible(reason)} ({lines:,})" for reason, lines in f.top_reasons)
        out.print(f"rejected: {visible(f.name)}: every line rejected: {reasons}", markup=False)
        if f.hint:
            out.print(f"hint: {visible(f.hint)}", markup=False, soft_wrap=True)  # a command line to copy whole
    if summary.rejected:
        out.print(f"{summary.rejected:,} line(s) rejected: see `postmortem query rejects`")


FILES_LISTED = 50  # a folder of thousands of small files is summed up, not listed


def _listed(files: list) -> list:
    """The files the summary lists one by one: all of them, or for many files those with rejects, notes or a
    status other than loaded, up to FILES_LISTED (the rest are counted)."""
    if len(files) <= FILES_LISTED:
        return files
    notable = [f for f in files if f.rejected or f.notes or f.status not in ("loaded", "already loaded")]
    return notable[:FILES_LISTED]


def profiles_table(profiles: dict) -> None:
    table = Table(title="Built-in profiles (ingest --profile NAME)", title_justify="left")
    for column in ("name", "format", "what it reads", "example line"):
        table.add_column(column, overflow="fold")
    for name, profile in profiles.items():
        table.add_row(name, profile.format or "any", cell(profile.description), cell(profile.example))
    out.print(table)


def frame(df: pl.DataFrame, title: str | None = None) -> None:
    table = Table(title=title, title_justify="left")
    for name, dtype in df.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    for row in df.iter_rows():
        table.add_row(*(cell(v) for v in row))
    out.print(table)


def catalogue(df: pl.DataFrame) -> None:
    """The named queries, one block each: the name, what it answers in full, its parameters with the values
    they take from the detected incident (a table would cut the descriptions)."""
    for row in df.iter_rows(named=True):
        out.print(row["name"], style="bold", markup=False)
        out.print(f"  {visible(row['answers'])}", markup=False)
        if row["parameters"]:
            out.print(f"  parameters: {visible(row['defaults'] or row['parameters'])}", markup=False)
