"""Rendering results for a terminal: rich tables and a progress bar that stays quiet off a terminal."""

from __future__ import annotations

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


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


@contextmanager
def progress_bar():
    """A byte-progress callback for ingest; a no-op when stderr is not a terminal (CI, pipes)."""
    if not err.is_terminal:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[Path, int] = {}

        def update(path: Path, done: int, total: int) -> None:
            if path not in tasks:
                tasks[path] = bar.add_task(path.name, total=total)
            bar.update(tasks[path], completed=done)

        yield update


def ingest_summary(summary: IngestSummary) -> None:
    files = Table(title="Files", title_justify="left")
    for column in (
        "file",
        "kind",
        "status",
        "lines",
        "loaded",
        "rejected",
        "duplicates",
        "blank",
        "from (UTC)",
        "to (UTC)",
        "seconds",
    ):
        files.add_column(column, justify="left" if column in ("file", "kind", "status") else "right")
    for f in summary.files:
        files.add_row(
            Text(str(f.path)),
            f.kind,
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
    if summary.rejected:
        out.print(f"{summary.rejected:,} line(s) rejected: see `postmortem query rejects`")


def frame(df: pl.DataFrame, title: str | None = None) -> None:
    table = Table(title=title, title_justify="left")
    for name, dtype in df.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    for row in df.iter_rows():
        # Text, not markup: log values are attacker-controlled and must print as typed.
        table.add_row(*(Text("" if v is None else str(v)) for v in row))
    out.print(table)
