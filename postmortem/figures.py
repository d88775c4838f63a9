"""The report's charts, as one registry: each chart's name, the evidence rows it draws, where the templates
place it, its title and its builder. `figures`, both templates and the tests read the registry, so a new
chart is its query, its builder here and one registry line.

Builders are pure functions of the facts (the spans each chart covers, the rows cut to them, the key events
worth a line) and of a plot width: every chart is built twice, for a wide screen and for a phone, so a phone
redraws it for its width instead of shrinking its text. `postmortem.charts` draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from postmortem import charts
from postmortem.human_times import iso
from postmortem.summary import impact_end

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


@dataclass(frozen=True)
class Figure:
    """One chart of the report. `slot` is where the templates place it (they render every chart of a slot,
    in registry order); `build(facts, width)` returns its Vega-Lite spec, or None when the facts hold nothing
    for it. Sections of their own (webrtc, metrics) place their slot in their partial template."""

    name: str
    evidence: str
    slot: str
    title: str
    build: Callable[[dict, int], dict | None]


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


def room_labels(facts: dict) -> dict[str, str]:
    """Each incident room's label by its role, failed first: charts colour and order rooms by role."""
    incident, move = facts["incident"], facts["switchover"]
    labels = {incident["space_id"]: f"{incident['space_id']} (failed)"}
    if move:
        labels[move["to_space"]] = f"{move['to_space']} (replacement)"
    return labels


def figures(facts: dict) -> dict[str, dict]:
    """Every chart the report shows, in registry order: title, slot, and its spec for a wide screen and for
    a phone."""
    out = {}
    for fig in REGISTRY:
        spec = fig.build(facts, charts.WIDTH)
        if spec is not None:
            narrow = fig.build(facts, charts.NARROW)
            out[fig.name] = {"title": fig.title, "slot": fig.slot, "spec": spec, "narrow": narrow}
    return out


def _error_rate(facts: dict, width: int) -> dict | None:
    rows = facts["evidence"].get("error_rate")
    if not rows or facts["incident"] is not None:
        return None
    span = domain(rows[0]["bucket"], max(r["bucket_end"] for r in rows))
    burst = facts["error_burst"]
    return charts.error_rate(
        iso_rows(rows), span, iso_rows([burst])[0] if burst else None, rows[0]["bucket_seconds"], width
    )


def _timeline_of(facts: dict, width: int, start: datetime, end: datetime, **options) -> dict:
    """The failure timeline over whole minutes around [start, end], its rows cut to that span."""
    evidence, incident, move = facts["evidence"], facts["incident"], facts["switchover"]
    span = domain(start, end)
    lo, hi = datetime.fromisoformat(span[0]), datetime.fromisoformat(span[1])
    labels = room_labels(facts)
    minutes = [{**r, "room": labels[r["space_id"]]} for r in within(evidence["timeline"], "minute", lo, hi)]
    errors = [r for r in within(evidence["errors_per_minute"], "minute", lo, hi) if r["level"] in ("error", "fatal")]
    cut = [
        {**p, "start": max(p["start"], lo), "end": min(p["end"], hi)}
        for p in incident["phases"]
        if p["end"] > lo and p["start"] < hi
    ]
    marks = markers(evidence["events"], move)
    shown = [m for m in marks if lo <= datetime.fromisoformat(m["ts"]) <= hi]
    peaks = [
        {
            "ts": iso(room["peak_at"]),
            "room": label,
            "peak_concurrent": room["peak_concurrent"],
            "label": f"{room['peak_concurrent']:,} at once",
        }
        for space_id, label in labels.items()
        if (room := _space(facts, space_id)).get("peak_at") and lo <= room["peak_at"] <= hi
    ]
    return charts.failure_timeline(
        iso_rows(minutes),
        iso_rows(cut),
        shown,
        iso_rows(errors),
        span,
        rooms=list(labels.values()),
        peaks=peaks,
        width=width,
        **options,
    )


def _overview(facts: dict, width: int) -> dict | None:
    if facts["incident"] is None or not facts["evidence"].get("timeline"):
        return None
    return _timeline_of(facts, width, *timeline_span(facts), title="Who was in each room", compact=True)


def _timeline(facts: dict, width: int) -> dict | None:
    if facts["incident"] is None or not facts["evidence"].get("timeline"):
        return None
    return _timeline_of(facts, width, *timeline_span(facts), title="Presence, glitch share and errors")


def _timeline_detail(facts: dict, width: int) -> dict | None:
    window = facts["window"]
    if facts["incident"] is None or not window or not facts["evidence"].get("timeline"):
        return None
    lo, hi = window["start"] - timedelta(minutes=2), window["end"] + timedelta(minutes=2)
    return _timeline_of(facts, width, lo, hi, title="The impact window in detail")


def _speakers(facts: dict, width: int) -> dict | None:
    rows = facts["evidence"].get("speakers")
    if facts["incident"] is None or not rows:
        return None
    main = domain(*timeline_span(facts))
    lo, hi = datetime.fromisoformat(main[0]), datetime.fromisoformat(main[1])
    lanes = [{**r, "end": min(r["end"], hi)} for r in rows if r["start"] < hi and r["end"] > lo]
    return charts.speaker_lanes(iso_rows(lanes), main, width)


def _funnel(facts: dict, width: int) -> dict | None:
    steps = facts["evidence"].get("funnel")
    return charts.funnel(steps, width) if facts["switchover"] and steps else None


def _errors(facts: dict, width: int) -> dict | None:
    rows = facts["evidence"].get("error_breakdown")
    if facts["incident"] is None or not rows:
        return None
    return charts.errors_by_service(
        [{**r, "label": f"{r['service']} · {r['code'] or '(no code)'}"} for r in iso_rows(rows[:20])], width
    )


def _glitches(facts: dict, width: int) -> dict | None:
    rows = facts["evidence"].get("glitches_per_minute")
    if facts["incident"] is None or not rows:
        return None
    labels = room_labels(facts)
    rooms = [_space(facts, s) for s in labels]
    span = domain(min(r["started_at"] for r in rooms), max(r["ended_at"] for r in rooms))
    shown = [{**r, "room": labels[r["space_id"]]} for r in rows if r["space_id"] in labels]
    return charts.glitches_over_time(iso_rows(shown), span, list(labels.values()), width)


def _storm(facts: dict, width: int) -> dict | None:
    rows = facts["evidence"].get("storm", [])
    if facts["incident"] is None or not any(r["rejoins"] for r in rows):
        return None
    room = _space(facts, facts["incident"]["space_id"])
    return charts.reconnect_storm(iso_rows(rows), domain(room["started_at"], room["ended_at"]), width)


def _webrtc_quality(facts: dict, width: int) -> dict | None:
    audio = facts["evidence"].get("webrtc", {}).get("minutes")
    if not audio:
        return None
    if facts["incident"]:  # on the timeline's axis where there is one
        first, last = timeline_span(facts)
    else:
        first, last = audio[0]["minute"], audio[-1]["minute"] + timedelta(minutes=1)
    return charts.audio_quality(iso_rows(within(audio, "minute", first, last)), domain(first, last), width)


def _metrics(facts: dict, width: int) -> dict | None:
    from postmortem.metrics import figures as metric_figures  # it builds on this module: imported when drawn

    return metric_figures.chart(facts, width) if facts.get("metrics") else None


def _blast(facts: dict, width: int) -> dict | None:
    rows = facts["evidence"].get("blast")
    return charts.blast_radius(rows, width) if facts["incident"] is not None and rows else None


def _factors(facts: dict, width: int) -> dict | None:
    rows = facts["evidence"].get("factors", [])[:TOP_FACTORS]
    if facts["incident"] is None or not rows:
        return None
    return charts.contributing_factors([{**r, "label": f"{r['dimension']}={r['value']}"} for r in rows], width)


REGISTRY: tuple[Figure, ...] = (
    Figure(
        "overview",
        "timeline",
        "first-screen",
        "Users present in the failed room and its replacement, phases and key events",
        _overview,
    ),
    Figure(
        "error_rate",
        "error_rate",
        "first-screen",
        "Error-log records over time by service and level, with the error burst shaded",
        _error_rate,
    ),
    Figure(
        "timeline",
        "timeline",
        "timeline",
        "Users present per room, glitch share and errors per minute, with phases and key events",
        _timeline,
    ),
    Figure("timeline_detail", "timeline", "timeline", "The impact window in detail", _timeline_detail),
    Figure(
        "speakers", "speakers", "speakers", "Speakers on stage over time, mic on or off, and when they left", _speakers
    ),
    Figure("funnel", "funnel", "switchover", "Where the failed room's listeners went", _funnel),
    Figure("errors", "error_breakdown", "errors", "Errors by service and code", _errors),
    Figure("glitches", "glitches_per_minute", "glitches", "Glitch reports by kind over time, per room", _glitches),
    Figure("storm", "storm", "glitches", "Rejoins per minute in the failed room", _storm),
    Figure(
        "blast",
        "blast",
        "blast",
        "Users present while degraded and those who reported a glitch, by region, platform and edge",
        _blast,
    ),
    Figure("factors", "factors", "factors", "Share of records before and during the degraded window", _factors),
    Figure(
        "webrtc_quality",
        "webrtc",
        "webrtc",
        "MOS of the listeners (p10 to p50) and poor and silent listener-minutes per minute, UTC",
        _webrtc_quality,
    ),
    Figure(
        "metrics",
        "metric_minutes",
        "metrics",
        "Metric series per minute on the timeline's UTC axis, with each change point, when an alert would have "
        "fired, and the incident's markers",
        _metrics,
    ),
)


def markers(events: list[dict], move: dict | None) -> list[dict]:
    """The key events worth a labelled line on the timeline: rooms starting and ending, phase changes,
    detection, each service's first error, the switch-over, the speakers arriving in the replacement, the
    metric series' change points, and the notes' times (their anchors, such as detected and resolved, and their
    [[timeline]] entries)."""
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
        elif e["kind"] == "note":
            label = _short(e["detail"])
        elif e["kind"].startswith("note: "):
            label = f"{e['kind'].removeprefix('note: ')} (notes)"
        elif e["kind"] == "metric changed":  # a metric series' change point (postmortem.metrics.changes.events)
            label = _short(f"{e['actor'].split('{')[0]} {e['detail'].split(' ')[0]}")
        elif e["kind"] in MARKER_KINDS:
            label = e["kind"]
        else:
            continue
        out.append({"ts": iso(e["ts"]), "label": label})
    return out


def _short(text: str, limit: int = 40) -> str:
    """A note's text as a marker label: one line, cut with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
