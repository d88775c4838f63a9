"""The application layer: the commands as library calls, and the one place that dispatches on an output format.
Open the database, gather the facts once (`summary.gather_facts`, the only stage that touches the database), then
build, render and write the chosen format. The CLI only parses options and prints what these return."""

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
from postmortem.human_times import Clock, check_range, iso, parse_instant, terminal_time, zone
from postmortem.metrics import changes as metric_changes
from postmortem.notes import load_notes
from postmortem.summary import Detection, gather_facts, impact_end, ordered_events


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
        facts = _detect(con, space, detection, anchor_overrides=notes.get("anchors"), evidence=evidence)
    return add_notes(facts, notes)


def _detect(con, space: str | None, detection: Detection, **options) -> dict:
    """The facts (without evidence unless asked), computed where Ctrl-C stops them within a moment
    (queries.interruptible): detection reads the whole database, the longest wait of report, timeline and query."""

    def work() -> dict:
        db.cache_derived(con)
        return gather_facts(con, space=space, detection=detection, **{"evidence": False, **options})

    return queries.interruptible(con, work)


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
    threads: int = db.DEFAULT_THREADS,
    memory_limit: str = db.DEFAULT_MEMORY_LIMIT,
) -> Timeline:
    """The reconstructed timeline's events (the notes' among them) in time order, optionally cut to
    [since, until] (ISO-8601 or relative to the incident, `onset-5m`) and to event kinds (a kind matches by
    prefix: `speaker` is every speaker event). An empty answer says whether the logs or the filters emptied it."""
    lo_text, hi_text = parse_instant(since, "--since"), parse_instant(until, "--until")  # before any work
    notes = load_notes(notes_path)
    facts = load_facts(
        db_path,
        space=space,
        detection=detection,
        notes=notes,
        evidence=False,
        threads=threads,
        memory_limit=memory_limit,
    )
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


def query_catalogue(
    db_path: str | Path | None = None,
    *,
    detection: Detection = Detection(),
    space=None,
    threads: int = db.DEFAULT_THREADS,
    memory_limit: str = db.DEFAULT_MEMORY_LIMIT,
) -> pl.DataFrame:
    """Every named query: its name, what it answers (the whole header), its parameters and, when `db_path`
    holds a database, the value each parameter takes from the detected incident."""
    names = queries.names()
    defaults: dict = {}
    if db_path is not None and (not isinstance(db_path, str | Path) or Path(db_path).is_file()):  # or a lake
        with engine.open_read(db_path, threads=threads, memory_limit=memory_limit) as con:
            defaults = incident_parameters(_detect(con, space, detection), detection)
    wanted = {n: queries.parameters(queries.load(n)) for n in names}
    return pl.DataFrame(
        {
            "name": names,
            "answers": [queries.describe(n).split(" params:")[0] for n in names],
            "parameters": [", ".join(wanted[n]) for n in names],
            "defaults": [
                "; ".join(f"{p} = {_shown(defaults[p]) if p in defaults else '(none: give -p)'}" for p in wanted[n])
                if defaults
                else ""
                for n in names
            ],
        }
    )


def _shown(value) -> str:
    return iso(value) if isinstance(value, datetime) else "null" if value is None else str(value)


def run_query(
    db_path: str | Path,
    name: str,
    params: dict,
    *,
    space: str | None = None,
    detection: Detection = Detection(),
    since: str | None = None,
    until: str | None = None,
    timeout: float | None = None,
    threads: int = db.DEFAULT_THREADS,
    memory_limit: str = db.DEFAULT_MEMORY_LIMIT,
) -> pl.DataFrame:
    """A named query with the detected incident filling any parameter not given (`space_id`, `from_space`,
    `to_space`, `start`, `end`, ...); `since`/`until` (ISO-8601 or relative to the incident, `onset-5m`) set
    `start`/`end`. An unknown query or parameter name is refused with the closest ones. Ctrl-C or `timeout`
    seconds stop it (queries.interruptible)."""
    known = queries.names()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise QueryError(f"unknown query {name!r}{hint} (see `postmortem query --list`)")
    wanted = queries.parameters(queries.load(name))
    for given in params:
        if given not in wanted:
            close = difflib.get_close_matches(given, wanted, n=1, cutoff=0.5)
            hint = f"did you mean {close[0]}? " if close else ""
            takes = ", ".join(wanted) or "none"
            raise QueryError(f"query {name!r} has no parameter {given!r}; {hint}(its parameters: {takes})")
    lo, hi = parse_instant(since, "--since"), parse_instant(until, "--until")
    if (lo or hi) and not {"start", "end"} & set(wanted):
        raise QueryError(f"query {name!r} takes no time window ($start, $end): --since/--until do not apply")
    given = {**params, **{k: t for k, t in (("start", lo), ("end", hi)) if t is not None}}
    relative = any(t is not None and t.absolute is None for t in (lo, hi))
    with engine.open_read(db_path, threads=threads, memory_limit=memory_limit) as con:
        if relative or any(p not in given for p in wanted):  # the incident is needed: detect it
            facts = _detect(con, space, detection)
            params = {**incident_parameters(facts, detection), **params}
            anchors = facts["anchors"]
        else:
            anchors = {}
        window = {k: t.at(anchors) for k, t in (("start", lo), ("end", hi)) if t is not None}
        params = {**params, **window}
        if window:
            check_range(params.get("start"), params.get("end"), (since or "(the incident's start)", until or "(end)"))
        return queries.interruptible(con, lambda: queries.run(con, name, **params), timeout=timeout)


def run_sql(
    db_path: str | Path,
    statement: str,
    *,
    space: str | None = None,
    detection: Detection = Detection(),
    timeout: float | None = None,
    threads: int = db.DEFAULT_THREADS,
    memory_limit: str = db.DEFAULT_MEMORY_LIMIT,
    lake: str | None = None,
) -> pl.DataFrame:
    """Ad hoc SQL on a read-only, sandboxed connection (db.connect_sandboxed, or the `lake` read by DuckDB and
    sandboxed alike: engine.lake_connection). A statement that calls
    `getvariable` finds the detected incident in DuckDB variables (queries/schema/incident_variables.sql:
    incident_room, replacement_room, onset, detected, mitigated, resolved, impact_end); they are computed only
    then, since detection reads the whole database."""
    if lake:
        opened = engine.lake_connection(lake, threads=threads, memory_limit=memory_limit, sandboxed=True)
    else:
        opened = db.connect_sandboxed(db_path, threads=threads, memory_limit=memory_limit)
    with opened as con:
        if "getvariable" in statement.lower():
            facts = _detect(con, space, detection)
            queries.execute(con, "schema/incident_variables", **incident_variables(facts))
        return queries.run_sql(con, statement, timeout=timeout)


def incident_variables(facts: dict) -> dict:
    """The values `postmortem sql` offers as variables (see run_sql)."""
    anchor, move = facts["anchors"], facts["switchover"]
    return {
        "incident_room": facts["incident"]["space_id"] if facts["incident"] else None,
        "replacement_room": move["to_space"] if move else None,
        "onset": anchor["impact_start"],
        "detected": anchor["detected"],
        "mitigated": anchor["mitigated"],
        "resolved": anchor["resolved"],
        "impact_end": impact_end(facts) if facts["incident"] else anchor["resolved"],
    }


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
        "factor_lead_minutes": facts["definitions"]["factor_lead_minutes"],
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
