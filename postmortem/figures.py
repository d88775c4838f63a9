"""Which charts the report shows, from the facts: the spans each one covers (the failed room's start to a
little after impact, the impact window in detail, each room's life), the rows cut to them, and the key events
worth a line on the timeline. Pure functions of the facts; `postmortem.charts` draws.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from postmortem import charts
from postmortem.summary import impact_end
from postmortem.timefmt import iso

TOP_FACTORS = 15
MARKER_KINDS = {
    "room start",
    "room end",
    "switch-over",
    "first error",
    "phase: degraded",
    "phase: down",
    "phase: recovered",
    "error burst start",
    "error burst end",
    "mic feedback (measured)",
}


def _space(facts: dict, space_id: str | None) -> dict:
    return next((s for s in facts["spaces"] if s["space_id"] == space_id), {})


def iso_rows(rows: list[dict]) -> list[dict]:
    """Rows for a chart: times as ISO-8601 UTC strings."""
    return [{k: iso(v) if isinstance(v, datetime) else v for k, v in row.items()} for row in rows]


def within(rows: list[dict], field: str, start: datetime, end: datetime) -> list[dict]:
    return [r for r in rows if r[field] is not None and start <= r[field] <= end]


def domain(start: datetime, end: datetime) -> tuple[str, str]:
    """Whole minutes around [start, end], as ISO strings for a chart's scale."""
    a = start.astimezone(UTC).replace(second=0, microsecond=0)
    b = end.astimezone(UTC)
    if b.second or b.microsecond:
        b = b.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return iso(a), iso(b)


def timeline_span(facts: dict) -> tuple[datetime, datetime]:
    """The failed room's start to a little after impact ended: the incident gets most of the width, the
    long recovery only a margin (the replacement's full story is in its own charts)."""
    incident, move = facts["incident"], facts["switchover"]
    room = _space(facts, incident["space_id"])
    start = room["started_at"]
    end = impact_end(facts) or room["ended_at"]
    impact = facts["anchors"]["impact_start"]
    if impact and impact - start > timedelta(hours=6):  # a stray early event must not squeeze the incident
        start = impact - timedelta(hours=1)
    last = _space(facts, move["to_space"])["ended_at"] if move else room["ended_at"]
    margin = max(timedelta(minutes=5), (end - start) / 4)
    return start, min(end + margin, max(last, end))


def chart_specs(facts: dict) -> dict:
    """Every chart the report shows, by name, as a Vega-Lite spec."""
    incident, move, evidence = facts["incident"], facts["switchover"], facts["evidence"]
    specs: dict = {}
    if evidence.get("error_rate") and incident is None:
        start, end = (evidence["error_rate"][0]["minute"], evidence["error_rate"][-1]["minute"] + timedelta(minutes=1))
        burst = facts["error_burst"]
        specs["error_rate"] = charts.error_rate(
            iso_rows(evidence["error_rate"]), domain(start, end), iso_rows([burst])[0] if burst else None
        )
    audio = evidence.get("webrtc", {}).get("minutes")
    if audio:  # on the timeline's axis where there is one
        first, last = (
            timeline_span(facts) if incident else (audio[0]["minute"], audio[-1]["minute"] + timedelta(minutes=1))
        )
        specs["webrtc_quality"] = charts.audio_quality(
            iso_rows(within(audio, "minute", first, last)), domain(first, last)
        )
    if incident is None:
        return specs
    start, end = timeline_span(facts)
    main = domain(start, end)
    marks = markers(evidence["events"], move)
    specs["timeline"] = _timeline(evidence, incident["phases"], marks, start, end, "Who was in each room")
    window = facts["window"]
    if window:
        lo, hi = window["start"] - timedelta(minutes=2), window["end"] + timedelta(minutes=2)
        specs["timeline_detail"] = _timeline(evidence, incident["phases"], marks, lo, hi, "The impact window in detail")
    if evidence.get("speakers"):
        lo, hi = datetime.fromisoformat(main[0]), datetime.fromisoformat(main[1])
        lanes = [{**r, "end": min(r["end"], hi)} for r in evidence["speakers"] if r["start"] < hi and r["end"] > lo]
        specs["speakers"] = charts.speaker_lanes(iso_rows(lanes), main)
    if move and evidence.get("funnel"):
        specs["funnel"] = charts.funnel(evidence["funnel"])
    breakdown = evidence.get("error_breakdown", [])
    if breakdown:
        specs["errors"] = charts.errors_by_service(
            [{**r, "label": f"{r['service']} · {r['code'] or '(no code)'}"} for r in iso_rows(breakdown[:20])]
        )
    if evidence.get("glitches_per_minute"):
        rooms = [_space(facts, s) for s in (incident["space_id"], move["to_space"] if move else None) if s]
        span = domain(min(r["started_at"] for r in rooms), max(r["ended_at"] for r in rooms))
        specs["glitches"] = charts.glitches_over_time(iso_rows(evidence["glitches_per_minute"]), span)
    room = _space(facts, incident["space_id"])
    if any(r["rejoins"] for r in evidence.get("storm", [])):
        specs["storm"] = charts.reconnect_storm(
            iso_rows(evidence["storm"]), domain(room["started_at"], room["ended_at"])
        )
    if evidence.get("blast"):
        specs["blast"] = charts.blast_radius(evidence["blast"])
    factors = evidence.get("factors", [])[:TOP_FACTORS]
    if factors:
        specs["factors"] = charts.contributing_factors(
            [{**r, "label": f"{r['dimension']}={r['value']}"} for r in factors]
        )
    return specs


def _timeline(
    evidence: dict, phases: list[dict], marks: list[dict], start: datetime, end: datetime, title: str
) -> dict:
    """The failure timeline over whole minutes around [start, end], its rows cut to that span."""
    span = domain(start, end)
    lo, hi = datetime.fromisoformat(span[0]), datetime.fromisoformat(span[1])
    minutes = within(evidence["timeline"], "minute", lo, hi)
    errors = [r for r in within(evidence["errors_per_minute"], "minute", lo, hi) if r["level"] in ("error", "fatal")]
    cut = [
        {**p, "start": max(p["start"], lo), "end": min(p["end"], hi)}
        for p in phases
        if p["end"] > lo and p["start"] < hi
    ]
    shown = [m for m in marks if lo <= datetime.fromisoformat(m["ts"]) <= hi]
    return charts.failure_timeline(iso_rows(minutes), iso_rows(cut), shown, iso_rows(errors), span, title)


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
