"""`postmortem report` as a library call: open the database, gather the facts, write the chosen format."""

from __future__ import annotations

from pathlib import Path

from postmortem import db, export, render, report
from postmortem.notes import load_notes
from postmortem.summary import Detection, build_summary, timeline_events


def write_report(
    db_path: str | Path,
    *,
    fmt: str = "html",
    output: str | None = None,
    notes_path: str | Path | None = None,
    display_tz: str | None = None,
    static: bool = False,
    space: str | None = None,
    detection: Detection = Detection(),
    threads: int = db.DEFAULT_THREADS,
    memory_limit: str = db.DEFAULT_MEMORY_LIMIT,
    generated_at=None,
) -> str:
    """Write the report and return where it went (`-` for stdout)."""
    target = output or f"postmortem.{fmt}"
    notes = load_notes(notes_path)
    report.zone(display_tz)  # a bad zone fails before any work
    with db.connect(db_path, read_only=True, threads=threads, memory_limit=memory_limit) as con:
        db.cache_derived(con)
        facts = build_summary(con, space=space, detection=detection, anchor_overrides=notes.get("anchors"))
        if fmt == "json":
            text = export.summary_json(facts)
        else:
            context = report.build_context(con, facts, notes, display_tz=display_tz, generated_at=generated_at)
            if fmt == "html":
                text = render.render_html(context, static=static)
            else:
                base = Path(".") if target == "-" else Path(target).parent
                stem = "postmortem" if target == "-" else Path(target).stem
                text = render.render_markdown(context, base / f"{stem}_charts", f"{stem}_charts/")
    export.write_text(text, target)
    return target


def load_timeline(db_path: str | Path, *, space: str | None = None, detection: Detection = Detection()) -> list[dict]:
    """The reconstructed timeline's events, in time order."""
    with db.connect(db_path, read_only=True) as con:
        db.cache_derived(con)
        return timeline_events(con, build_summary(con, space=space, detection=detection))
