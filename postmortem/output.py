"""The commands as library calls, and the one place that dispatches on an output format: open the database,
gather the facts once (`summary.gather_facts`, the only stage that touches the database), then build,
render and write the chosen format. The CLI only parses options and prints what these return."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from postmortem import db, engine, export, queries, render
from postmortem import notes as notes_mod
from postmortem.choices import ReportFormat, TimelineFormat
from postmortem.errors import QueryError
from postmortem.metrics import changes as metric_changes
from postmortem.notes import load_notes
from postmortem.summary import Detection, gather_facts, impact_end, ordered_events
from postmortem.timefmt import Clock, check_range, iso, parse_instant, terminal_time, zone


@dataclass
class Written:
    """Where a report went, and anything the user should be told about it."""

    target: str
    notes: list[str] = field(default_factory=list)


def load_facts(
    db_path: str | Path,
    *,
    space: str | None = None,
    detection: Detection = Detection(),
    notes: dict | None = None,
    evidence: bool = True,
    threads: int = db.DEFAULT_THREADS,
    memory_limit: str = db.DEFAULT_MEMORY_LIMIT,
) -> dict:
    """The facts (summary.gather_facts) with the notes' content and times added (summary.add_notes)."""
    notes = notes or {}
    with engine.open_read(db_path, threads=threads, memory_limit=memory_limit) as con:  # file, lake or Spark
        db.cache_derived(con)
        facts = gather_facts(
            con, space=space, detection=detection, anchor_overrides=notes.get("anchors"), evidence=evidence
        )
    return add_notes(facts, notes)


def add_notes(facts: dict, notes: dict) -> dict:
    """The facts with what the notes say: their content (`notes`, part of the JSON summary) and their times
    among the key events, so the timeline, its Timesketch export and the charts' markers show them."""
    facts["notes"] = notes_mod.content(notes)
    facts["evidence"]["events"] = ordered_events(facts["evidence"]["events"] + notes_mod.key_events(notes))
    return facts


def write_report(
    db_path: str | Path,
    *,
    fmt: ReportFormat | str = ReportFormat.html,
    output: str | None = None,
    notes_path: str | Path | None = None,
    display_tz: str | None = None,
    static: bool = False,
    space: str | None = None,
    detection: Detection = Detection(),
    threads: int = db.DEFAULT_THREADS,
    memory_limit: str = db.DEFAULT_MEMORY_LIMIT,
    generated_at: datetime | None = None,
) -> Written:
    """Write the report (`-` for stdout). Markdown's charts go to `STEM_charts/` beside the file; Markdown to
    stdout writes no chart files (the page and the returned notes say so)."""
    fmt = ReportFormat(fmt)
    target = output or f"postmortem.{fmt.value}"
    notes = load_notes(notes_path)
    clock = Clock(display_tz, now=generated_at)  # a bad zone fails before any work
    facts = load_facts(
        db_path,
        space=space,
        detection=detection,
        notes=notes,
        evidence=fmt is not ReportFormat.json,
        threads=threads,
        memory_limit=memory_limit,
    )
    written = Written(target)
    if fmt is ReportFormat.json:
        text = export.summary_json(facts)
    else:
        # Imported here: its charts load altair (~0.16 s), which the JSON summary and the other commands never need.
        from postmortem import report

        context = report.build_context(facts, notes, clock)
        if fmt is ReportFormat.html:
            text = render.render_html(context, static=static)
        elif target == "-":
            text = render.render_markdown(context, None)
            if context["charts"]:
                written.notes.append("charts are not written with -o -; pass -o FILE.md to get them as SVG files")
        else:
            stem = Path(target).stem
            text = render.render_markdown(context, Path(target).parent / f"{stem}_charts", f"{stem}_charts/")
    export.write_text(text, target)
    return written


@dataclass
class Timeline:
    """The events a `timeline` command shows and, when there are none, why."""

    events: list[dict]
    empty_because: str | None = None


def timeline(
    db_path: str | Path,
    *,
    space: str | None = None,
    detection: Detection = Detection(),
    notes_path: str | Path | None = None,
    since: str | None = None,
    until: str | None = None,
    kinds: list[str] | None = None,
) -> Timeline:
    """The reconstructed timeline's events (the notes' among them) in time order, optionally cut to
    [since, until] (ISO-8601 or relative to the incident, `onset-5m`) and to event kinds (a kind matches by
    prefix: `speaker` is every speaker event). An empty answer says whether the logs or the filters emptied it."""
    lo_text, hi_text = parse_instant(since, "--since"), parse_instant(until, "--until")  # before any work
    notes = load_notes(notes_path)
    facts = load_facts(db_path, space=space, detection=detection, notes=notes, evidence=False)
    events = facts["evidence"]["events"]
    lo = lo_text.at(facts["anchors"]) if lo_text else None
    hi = hi_text.at(facts["anchors"]) if hi_text else None
    check_range(lo, hi, (since or "", until or ""))
    if not events:
        return Timeline(
            [], "no key events: no incident room or error burst in these logs (`postmortem report` names missing logs)"
        )
    wanted = [k.strip().lower() for k in kinds or [] if k.strip()]
    in_range = [e for e in events if (lo is None or e["ts"] >= lo) and (hi is None or e["ts"] <= hi)]
    chosen = [e for e in in_range if not wanted or any(e["kind"].startswith(k) for k in wanted)]
    if chosen:
        return Timeline(chosen)
    if not in_range:
        first, last = iso(events[0]["ts"]), iso(events[-1]["ts"])
        return Timeline(
            [],
            f"no key events between {iso(lo) or 'the start'} and {iso(hi) or 'the end'}; "
            f"the {len(events):,} events run from {first} to {last}",
        )
    present = sorted({e["kind"] for e in in_range})
    close = sorted({k for w in wanted for k in present if w in k})  # `mic` finds `speaker mic on`
    hint = f"; did you mean {' or '.join(repr(k) for k in close[:3])}?" if close else ""
    return Timeline(
        [],
        f"no key events of kind {', '.join(wanted)} (a kind matches by its start){hint}; "
        f"kinds here: {', '.join(present)}",
    )


def timeline_text(events: list[dict], fmt: TimelineFormat) -> str:
    """JSON or Timesketch JSONL (the table is the terminal's, see `timeline_frame`)."""
    if fmt is TimelineFormat.timesketch:
        return export.timesketch_lines(events)
    return export.dumps({"events": events})


def timeline_frame(events: list[dict], display_tz: str | None = None) -> pl.DataFrame:
    """The timeline as a table with times at one precision (seconds, UTC) and, when asked, the reader's zone."""
    tz = zone(display_tz)
    columns = {"when (UTC)": [terminal_time(e["ts"]) for e in events]}
    if tz:
        columns[f"when ({display_tz})"] = [terminal_time(e["ts"], tz) for e in events]
    for key in ("space_id", "kind", "actor"):
        columns[key] = [e[key] for e in events]
    columns["detail"] = [f"until {terminal_time(e['until'], tz)}" if e.get("until") else e["detail"] for e in events]
    return pl.DataFrame(columns, schema={k: pl.String for k in columns})


def query_catalogue() -> pl.DataFrame:
    """Every named query: name, what it answers, its parameters."""
    names = queries.names()
    return pl.DataFrame(
        {
            "name": names,
            "answers": [_headline(queries.describe(n)) for n in names],
            "parameters": [", ".join(queries.parameters(queries.load(n))) for n in names],
        }
    )


def _headline(description: str) -> str:
    """A query's header up to its first colon or full stop: what it answers, in a table-sized phrase."""
    text = description.split(" params:")[0]
    cut = min((i for i in (text.find(": "), text.find(". ")) if i > 0), default=len(text))
    return text[:cut].rstrip(".")


def run_query(
    db_path: str | Path,
    name: str,
    params: dict,
    *,
    space: str | None = None,
    detection: Detection = Detection(),
    timeout: float | None = None,
) -> pl.DataFrame:
    """A named query with the detected incident filling any parameter not given (`space_id`, `from_space`,
    `to_space`, `start`, `end`, ...). An unknown name suggests the closest ones. Ctrl-C or `timeout` seconds
    stop it (queries.interruptible)."""
    known = queries.names()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise QueryError(f"unknown query {name!r}{hint} (see `postmortem query --list`)")
    wanted = queries.parameters(queries.load(name))
    with engine.open_read(db_path) as con:
        if any(p not in params for p in wanted):
            db.cache_derived(con)
            facts = gather_facts(con, space=space, detection=detection, evidence=False)
            params = {**incident_parameters(facts, detection), **params}
        return queries.interruptible(con, lambda: queries.run(con, name, **params), timeout=timeout)


def incident_parameters(facts: dict, detection: Detection) -> dict:
    """Defaults for a query's parameters, from the detected incident (or the error burst)."""
    incident, move, anchor = facts["incident"], facts["switchover"], facts["anchors"]
    out: dict = {
        "factor": detection.factor,
        "floor_share": detection.floor_share,
        "baseline_minutes": detection.baseline_minutes,
        "sustain_minutes": detection.sustain_minutes,
        "min_reporters": detection.min_reporters,
        "window_minutes": detection.window_minutes,
        "lead_minutes": detection.lead_minutes,
        "limit": 20,
        "min_records": facts["definitions"]["factor_min_records"],
        "min_lift": facts["definitions"]["factor_min_lift"],
        "min_errors": facts["definitions"]["burst_min_errors"],
    }
    out.update(metric_changes.query_parameters(facts))
    burst = facts["error_burst"]
    if burst:
        out.update(start=burst["start"], end=burst["end"])
    if incident is None:
        return out
    room = next((s for s in facts["spaces"] if s["space_id"] == incident["space_id"]), {})
    start = anchor["impact_start"] or room.get("started_at")
    out.update(
        space_id=incident["space_id"],
        from_space=incident["space_id"],
        to_space=move["to_space"] if move else None,
        start=start,
        end=impact_end(facts) if anchor["impact_start"] else room.get("ended_at"),
        degraded_at=incident["degraded_at"],
        threshold=incident["threshold"],
        baseline_start=room.get("started_at"),
        window_end=room.get("ended_at"),
    )
    return out
