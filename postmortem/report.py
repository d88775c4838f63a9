"""The postmortem document as data: a template context of plain dicts, lists, numbers and strings, built
from the summary and a handful of aggregated queries, so a test can check every number without rendering.
Rendering it to HTML or Markdown is `postmortem.render`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from postmortem import charts, queries
from postmortem.errors import InputError
from postmortem.summary import iso, rows, timeline_events

GLOSSARY = [
    (
        "started_at / ended_at",
        "A room's `start` event, else its first event; its `end` event, else its last event.",
    ),
    ("host", "The user who issued `start`, else the first user with role host."),
    (
        "present",
        "A user is in a room from a join until their next leave; a join while in changes nothing (a "
        "reconnect), a leave while out is ignored (an orphan); everyone leaves when the room ends.",
    ),
    (
        "peak concurrent",
        "The most users present at once, any role, at event resolution; at equal timestamps leaves "
        "apply before joins. Peak at: when it was first reached.",
    ),
    (
        "unique users / listeners",
        "Distinct users with a join; distinct users who joined with role listener.",
    ),
    (
        "glitch share",
        "Distinct users reporting a glitch in a minute ÷ users present at any moment of that minute.",
    ),
    (
        "incident room",
        "The room with the most glitch-reporting user-minutes inside sustained degradation.",
    ),
    (
        "degraded at",
        "Start of the first run of at least {sustain_minutes} consecutive minutes whose glitch share is "
        "at least {factor}× the room's baseline (median share over its first {baseline_minutes} "
        "minutes), at least {floor_share:.0%}, with at least {min_reporters} users reporting.",
    ),
    (
        "phases",
        "healthy until degraded; degraded until the first minute whose reports are mostly `silence` (or the "
        "end); down until the replacement starts; recovering until the replacement's glitch share stays "
        "below the incident threshold for {sustain_minutes} minutes; then recovered.",
    ),
    (
        "switch-over",
        "The earliest room starting after the failed room started and at most {window_minutes} min after "
        "it ended that shares a host, cohost or speaker with it. Gap = its start − the failed room's end.",
    ),
    (
        "listeners followed / follow rate",
        "Distinct users who joined the failed room as listener and joined the "
        "replacement after it started; ÷ the failed room's unique listeners.",
    ),
    (
        "detected",
        "First error- or fatal-level record naming the incident room, from {lead_minutes} min before "
        "degradation on (errors may lead).",
    ),
    ("mitigated / resolved", "The replacement room's start; the start of its recovered phase."),
    ("time to detect / mitigate", "Detected − impact start; mitigated − impact start."),
    (
        "customer-impact duration",
        "Impact start to resolved (or to the end of the down phase if never resolved).",
    ),
    (
        "users affected",
        "Users present in the incident room at any moment from impact start to its end.",
    ),
    (
        "lift",
        "A value's share of records in the degraded window ÷ its share in the baseline before it (one "
        "pseudo-record added per value so new values do not divide by zero).",
    ),
    (
        "counts",
        "Errors and glitches are counted after exact duplicate records were dropped at ingest.",
    ),
]
SECTIONS = [
    ("root_cause", "Root cause"),
    ("trigger", "Trigger"),
    ("went_well", "What went well"),
    ("went_badly", "What went badly"),
    ("lessons", "Lessons"),
]


def zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r}; use an IANA name such as America/New_York") from None


class Clock:
    """Formats instants in UTC, and also in the reader's zone when one is given."""

    def __init__(self, display_tz: str | None):
        self.tz = zone(display_tz)

    def __call__(self, value: datetime | None, seconds: bool = True) -> str:
        if value is None:
            return "—"
        fmt = "%H:%M:%S" if seconds else "%H:%M"
        text = value.astimezone(UTC).strftime(fmt) + " UTC"
        if self.tz:
            text += " (" + value.astimezone(self.tz).strftime(fmt + " %Z") + ")"
        return text


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    sign = "−" if seconds < 0 else ""
    s = abs(round(seconds))
    if s < 60:
        return f"{sign}{s} s"
    if s < 3600:
        return f"{sign}{s // 60} min {s % 60:02d} s"
    return f"{sign}{s // 3600} h {s % 3600 // 60:02d} min"


def _space(facts: dict, space_id: str | None) -> dict:
    return next((s for s in facts["spaces"] if s["space_id"] == space_id), {})


def executive_summary(facts: dict, clock: Clock) -> str:
    incident, move = facts["incident"], facts["switchover"]
    if incident is None:
        return "No room's audio degraded by the definitions in the glossary; no incident room was identified."
    room = _space(facts, incident["space_id"])
    if incident["degraded_at"] is None:
        return (
            f"Room {incident['space_id']} (host {room.get('host')}) was chosen as the incident room, but its "
            "glitch reports never rose to a sustained degradation by the definitions in the glossary."
        )
    kinds = ", then ".join(k for k in ("screech", "silence") if facts["glitches"]["by_kind"].get(k)) or "glitches"
    text = (
        f"At {clock(incident['degraded_at'], seconds=False)} audio in {room.get('host')}'s room "
        f"{incident['space_id']} degraded ({kinds}); {room.get('peak_concurrent', 0):,} users were present at "
        f"its peak. The room ended at {clock(room.get('ended_at'), seconds=False)}."
    )
    if move:
        to_room = _space(facts, move["to_space"])
        text += (
            f" A replacement room by {move['to_host']} started {move['gap_seconds'] / 60:.1f} minutes later "
            f"and {move['follow_rate']:.0%} of the listeners followed ({move['listeners_followed']:,} of "
            f"{move['from_unique_listeners']:,}); it peaked at {to_room.get('peak_concurrent', 0):,} users."
        )
    else:
        text += f" No replacement room started within {facts['definitions']['window_minutes']} minutes of the end."
    return text


def build_context(
    con: duckdb.DuckDBPyConnection,
    facts: dict,
    notes: dict,
    *,
    display_tz: str | None = None,
    generated_at: datetime | None = None,
) -> dict:
    """Everything the templates show, as plain data. `generated_at` is injectable for byte-stable output."""
    clock = Clock(display_tz)
    generated_at = generated_at or datetime.now(UTC)
    incident, move, anchor = facts["incident"], facts["switchover"], facts["anchors"]
    from_space = incident["space_id"] if incident else None
    from_room = _space(facts, from_space)
    phases = incident["phases"] if incident else []
    start = phases[0]["start"] if phases else from_room.get("started_at")
    end = phases[-1]["end"] if phases else from_room.get("ended_at")
    events = timeline_events(con, facts) if from_space else []
    charts_out, tables = breakdowns(con, facts, events, start, end)
    return {
        "title": notes.get("title") or (f"Postmortem: audio failure in {from_space}" if from_space else "Postmortem"),
        "severity": notes.get("severity") or "unrated",
        "status": notes.get("status") or "draft",
        "owners": notes.get("owners", []),
        "date": start.astimezone(UTC).strftime("%Y-%m-%d") if start else "",
        "window": f"{clock(start)} – {clock(end)}" if start else "—",
        "generated_at": iso(generated_at),
        "display_tz": display_tz or "",
        "executive_summary": notes.get("summary") or executive_summary(facts, clock),
        "summary_is_generated": "summary" not in notes,
        "cards": key_figures(con, facts, clock),
        "charts": charts_out,
        "switchover": None
        if not move
        else {
            "from_space": move["from_space"],
            "to_space": move["to_space"],
            "from_host": move["from_host"],
            "to_host": move["to_host"],
            "from_ended_at": clock(move["from_ended_at"]),
            "to_started_at": clock(move["to_started_at"]),
            "gap": duration(move["gap_seconds"]),
            "speakers_moved": move["speakers_moved"],
            "listeners_followed": f"{move['listeners_followed']:,}",
            "follow_rate": f"{move['follow_rate']:.1%}",
        },
        "anchors": [
            {
                "name": name.replace("_", " "),
                "when": clock(anchor[name]),
                "overridden": name in anchor["overridden"],
            }
            for name in ("impact_start", "detected", "mitigated", "resolved")
        ],
        "phases": [
            {
                "phase": p["phase"],
                "space_id": p["space_id"],
                "start": clock(p["start"]),
                "end": clock(p["end"]),
            }
            for p in phases
        ],
        "tables": tables,
        "key_events": key_event_rows(events, notes, clock),
        "sections": [{"title": title, "body": notes.get(key)} for key, title in SECTIONS],
        "action_items": notes.get("action_items", []),
        "spaces": [{**s, "started": clock(s["started_at"]), "ended": clock(s["ended_at"])} for s in facts["spaces"]],
        "data_quality": {
            "kinds": rows(queries.run(con, "data_quality")),
            "files": rows(queries.run(con, "files")),
            "reject_reasons": rows(queries.run(con, "reject_reasons", limit=10)),
        },
        "glossary": [(term, text.format(**facts["definitions"])) for term, text in GLOSSARY],
    }


def key_figures(con: duckdb.DuckDBPyConnection, facts: dict, clock: Clock) -> list[dict]:
    """The cards: peaks, anchor durations, follow rate, and who and what the impact window touched.
    Each carries its JSON-summary key and raw value beside the text shown."""
    incident, move, anchor = facts["incident"], facts["switchover"], facts["anchors"]
    cards = []

    def card(key: str, label: str, value, display: str, note: str = "") -> None:
        cards.append({"key": key, "label": label, "value": value, "display": display, "note": note})

    from_space = incident["space_id"] if incident else None
    for space_id in (from_space, move["to_space"] if move else None):
        room = _space(facts, space_id)
        if room:
            card(
                f"spaces.{space_id}.peak_concurrent",
                f"Peak in {space_id}",
                room["peak_concurrent"],
                f"{room['peak_concurrent']:,}",
                clock(room["peak_at"], seconds=False),
            )
    card(
        "anchors.time_to_detect_s",
        "Time to detect",
        anchor["time_to_detect_s"],
        duration(anchor["time_to_detect_s"]),
        "negative: errors led the audio failure" if (anchor["time_to_detect_s"] or 0) < 0 else "",
    )
    card(
        "anchors.time_to_mitigate_s",
        "Time to mitigate",
        anchor["time_to_mitigate_s"],
        duration(anchor["time_to_mitigate_s"]),
        "switch-over room started",
    )
    card(
        "anchors.impact_duration_s",
        "Customer impact",
        anchor["impact_duration_s"],
        duration(anchor["impact_duration_s"]),
    )
    if move:
        card(
            "switchover.follow_rate",
            "Listeners who followed",
            move["follow_rate"],
            f"{move['follow_rate']:.1%}",
            f"{move['listeners_followed']:,} of {move['from_unique_listeners']:,}",
        )
    phases = incident["phases"] if incident else []
    impact_end = anchor["resolved"] or next((p["end"] for p in phases if p["phase"] == "down"), None)
    if incident and incident["degraded_at"] and impact_end:
        affected = queries.run(
            con,
            "affected",
            space_id=from_space,
            start=incident["degraded_at"],
            end=_space(facts, from_space)["ended_at"],
        ).row(0, named=True)
        counts = queries.run(
            con,
            "window_counts",
            from_space=from_space,
            to_space=move["to_space"] if move else None,
            start=incident["degraded_at"],
            end=impact_end,
        ).row(0, named=True)
        card(
            "window.users_affected",
            "Users affected",
            affected["users_present"],
            f"{affected['users_present']:,}",
            f"{affected['users_reporting']:,} reported a glitch",
        )
        card("window.errors", "Errors in the window", counts["errors"], f"{counts['errors']:,}")
        card(
            "window.glitches",
            "Glitch reports in the window",
            counts["glitches"],
            f"{counts['glitches']:,}",
        )
    return cards


def breakdowns(con: duckdb.DuckDBPyConnection, facts: dict, events: list[dict], start, end) -> tuple[dict, dict]:
    """Chart specs and tables for the timeline, the switch-over and "where it broke", from aggregated queries."""
    incident, move = facts["incident"], facts["switchover"]
    charts_out: dict = {}
    tables: dict = {}
    if incident is None:
        return charts_out, tables
    from_space, to_space = incident["space_id"], move["to_space"] if move else None
    from_room = _space(facts, from_space)
    span = dict(from_space=from_space, to_space=to_space)
    errors_minute = [
        r
        for r in rows(queries.run(con, "errors_per_minute", **span, start=start, end=end))
        if r["level"] in ("error", "fatal")
    ]
    charts_out["timeline"] = charts.failure_timeline(
        rows(queries.run(con, "timeline", **span)),
        [{**p, "start": iso(p["start"]), "end": iso(p["end"])} for p in incident["phases"]],
        markers(events, move),
        errors_minute,
    )
    charts_out["glitches"] = charts.glitches_over_time(rows(queries.run(con, "glitches_per_minute", **span)))
    breakdown = rows(queries.run(con, "error_breakdown", **span, start=start, end=end))
    tables["errors"] = breakdown
    if breakdown:
        charts_out["errors"] = charts.errors_by_service(
            [{**r, "label": f"{r['service']} · {r['code'] or '(no code)'}"} for r in breakdown[:20]]
        )
    tables["glitch_kinds"] = rows(queries.run(con, "glitch_breakdown", space_id=from_space))
    storm = rows(queries.run(con, "reconnect_storm", space_id=from_space))
    if storm:
        charts_out["storm"] = charts.reconnect_storm(storm)
    if incident["degraded_at"]:
        window = dict(space_id=from_space, start=incident["degraded_at"], end=from_room["ended_at"])
        blast = rows(queries.run(con, "blast_radius", **window))
        tables["blast"] = blast
        if blast:
            charts_out["blast"] = charts.blast_radius(blast)
        factors = rows(
            queries.run(
                con,
                "contributing_factors",
                space_id=from_space,
                baseline_start=from_room["started_at"],
                degraded_at=incident["degraded_at"],
                window_end=from_room["ended_at"],
            )
        )
        tables["factors"] = factors[:15]
        if factors:
            charts_out["factors"] = charts.contributing_factors(
                [{**r, "label": f"{r['dimension']}={r['value']}"} for r in factors[:15]]
            )
    if move:
        charts_out["funnel"] = charts.funnel(rows(queries.run(con, "funnel", **span)))
    return charts_out, tables


def key_event_rows(events: list[dict], notes: dict, clock: Clock) -> list[dict]:
    """The key-events table: the logs' events (mic toggles left to the chart) and the notes' entries, in order."""
    logged = [
        (e["ts"], e["space_id"], e["kind"], e["actor"] or "", e["detail"] or "", "logs")
        for e in events
        if e["kind"] not in ("speaker mic on", "speaker mic off")
    ]
    noted = [(e["ts"], "", "note", "", e["text"], "notes") for e in notes.get("timeline", [])]
    table = [
        {
            "when": clock(ts),
            "ts": iso(ts),
            "space_id": space,
            "kind": kind,
            "actor": actor,
            "detail": detail,
            "source": source,
        }
        for ts, space, kind, actor, detail, source in logged + noted
    ]
    return sorted(table, key=lambda e: (e["ts"], e["source"]))


MARKER_KINDS = {
    "room start",
    "room end",
    "switch-over",
    "detected",
    "first error",
    "phase: degraded",
    "phase: down",
    "phase: recovered",
}


def markers(events: list[dict], move: dict | None) -> list[dict]:
    """The key events worth a labelled line on the timeline: rooms starting and ending, phase changes,
    detection, each service's first error, the switch-over and the speakers arriving in the replacement."""
    moved = set(move["speakers_moved"]) if move else set()
    out = []
    for e in events:
        if e["kind"] == "room start" and move and e["space_id"] == move["to_space"]:
            continue  # the switch-over marker stands at the same moment
        if e["kind"] in ("room start", "room end"):
            label = f"{e['space_id']} {e['kind'].split()[1]}"
        elif e["kind"].startswith("phase: ") and e["kind"] in MARKER_KINDS:
            label = e["kind"].removeprefix("phase: ")
        elif e["kind"] == "first error":
            label = f"first error: {e['actor']}"
        elif e["kind"] == "speaker join" and move and e["space_id"] == move["to_space"] and e["actor"] in moved:
            label = f"{e['actor']} moved"
        elif e["kind"] in MARKER_KINDS:
            label = e["kind"]
        else:
            continue
        out.append({"ts": iso(e["ts"]), "label": label})
    return out
