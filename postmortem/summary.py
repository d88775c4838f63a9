"""The facts of the postmortem: the one stage that asks the database. Every named query the report, the JSON
summary and the timeline need runs here, once; later stages (`report`, `charts`, `export`) only read the
answer, so a number means the same thing everywhere and the database is touched in one place.

Which room is the incident, when it degraded, where the event moved and when each anchor time fell are
decided here by composing queries; every count itself is computed in SQL. What was not loaded is recorded
too (`coverage`, `missing`): missing logs are never read as an all-clear.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

import duckdb
import polars as pl

from postmortem import queries, webrtc_facts
from postmortem.choices import Detection
from postmortem.errors import InputError
from postmortem.human_times import iso
from postmortem.metrics import changes as metric_changes

KINDS = ("join", "error", "glitch")
# Contributing factors are shown only with this much support and over-representation (see the glossary).
FACTOR_MIN_RECORDS = 10
FACTOR_MIN_LIFT = 1.5
# Error-log values count in the degraded window from this long before onset: a failing service often logs
# before listeners report (the 20k simulation's relay: 1 min 59 s before). Longer would eat the baseline.
FACTOR_LEAD_MINUTES = 3
# An error burst needs at least this many error-level records a minute (and factor x the log's baseline).
BURST_MIN_ERRORS = 5
TOP_MESSAGES = 10
# The per-minute error chart spans the whole error log unless that is longer than this; then the burst +- 1 h.
ERROR_RATE_SPAN = timedelta(days=1)


def records(frame: pl.DataFrame) -> list[dict]:
    return frame.to_dicts()


def first(frame: pl.DataFrame) -> dict | None:
    return frame.row(0, named=True) if frame.height else None


def find_incident(ranking: pl.DataFrame, spaces: pl.DataFrame, space: str | None) -> dict | None:
    """The incident room's detection row; `space` overrides the ranking."""
    if space is None:
        return first(ranking)
    if space not in spaces["space_id"].to_list():
        raise InputError(f"no room {space!r} in the database; see `postmortem query spaces`")
    chosen = ranking.filter(pl.col("space_id") == space)
    if chosen.height:
        return chosen.row(0, named=True)
    return {
        "space_id": space,
        "degraded_at": None,
        "degraded_minutes": 0,
        "degraded_user_minutes": 0,
        "baseline_share": None,
        "threshold": None,
    }


def coverage(quality: list[dict]) -> dict:
    """Per log kind: files and rows loaded and the time range covered; zeros for a kind never loaded."""
    by_kind = {row["kind"]: row for row in quality}
    return {
        kind: {
            "files": int(by_kind[kind]["files"]) if kind in by_kind else 0,
            "rows": int(by_kind[kind]["loaded"] or 0) if kind in by_kind else 0,
            "from": by_kind[kind]["min_ts"] if kind in by_kind else None,
            "to": by_kind[kind]["max_ts"] if kind in by_kind else None,
        }
        for kind in KINDS
    }


def gather_facts(
    con: duckdb.DuckDBPyConnection,
    *,
    space: str | None = None,
    detection: Detection = Detection(),
    anchor_overrides: dict | None = None,
    evidence: bool = True,
) -> dict:
    """Everything the outputs state, as plain data (datetimes kept as datetimes; see `to_json_ready`).
    The top-level keys other than `evidence` are the JSON summary; `evidence` holds the aggregated rows the
    report's charts and tables show (only the timeline's events when `evidence` is false)."""
    quality = records(queries.run(con, "data_quality"))
    covered = coverage(quality)
    missing = [kind for kind in KINDS if covered[kind]["rows"] == 0]
    spaces = queries.run(con, "spaces")
    ranking = queries.run(
        con,
        "incident_ranking",
        factor=detection.factor,
        floor_share=detection.floor_share,
        baseline_minutes=detection.baseline_minutes,
        sustain_minutes=detection.sustain_minutes,
        min_reporters=detection.min_reporters,
    )
    incident = find_incident(ranking, spaces, space)
    switchover, phases, detected = None, [], None
    if incident is not None:
        switchover = first(
            queries.run(con, "switchover", from_space=incident["space_id"], window_minutes=detection.window_minutes)
        )
        if incident["degraded_at"] is not None:
            phases = records(
                queries.run(
                    con,
                    "phases",
                    from_space=incident["space_id"],
                    to_space=switchover["to_space"] if switchover else None,
                    degraded_at=incident["degraded_at"],
                    threshold=incident["threshold"],
                    sustain_minutes=detection.sustain_minutes,
                )
            )
            detected = first(
                queries.run(
                    con,
                    "detected",
                    space_id=incident["space_id"],
                    degraded_at=incident["degraded_at"],
                    lead_minutes=detection.lead_minutes,
                )
            )
    errors = queries.run(con, "errors_by_service")
    levels = dict(queries.run(con, "error_levels").iter_rows())
    glitches = queries.run(con, "glitches_by_kind")
    anchor = anchors(incident, switchover, phases, detected, anchor_overrides or {})
    burst = None
    if covered["error"]["rows"]:
        burst = first(
            queries.run(
                con,
                "error_burst",
                factor=detection.factor,
                min_errors=BURST_MIN_ERRORS,
                baseline_minutes=detection.baseline_minutes,
                sustain_minutes=detection.sustain_minutes,
            )
        )
    facts = {
        "spaces": spaces.drop("duration_s").to_dicts(),
        "incident": None
        if incident is None
        else {
            **incident,
            "phases": [{k: p[k] for k in ("phase", "space_id", "start", "end")} for p in phases],
            "detected": detected,
        },
        "switchover": switchover,
        "anchors": anchor,
        "window": None,
        "errors": {
            "total": int(errors["errors"].sum() + errors["fatal"].sum()) if errors.height else 0,
            "by_service": {r["service"]: r["errors"] + r["fatal"] for r in errors.to_dicts()},
            "services": errors.height,
            # records whose log carries no severity: neither counted as errors nor as fine
            "without_severity": int(levels.get("unknown", 0)),
        },
        "error_burst": burst,
        "glitches": {
            "total": int(glitches["reports"].sum()) if glitches.height else 0,
            "by_kind": dict(glitches.iter_rows()),
        },
        "data_quality": {
            key: {row["kind"]: row[key] for row in quality}
            for key in ("loaded", "rejected", "duplicates", "blank", "files")
        },
        "coverage": covered,
        "missing": missing,
        "definitions": {
            **asdict(detection),
            "factor_min_records": FACTOR_MIN_RECORDS,
            "factor_min_lift": FACTOR_MIN_LIFT,
            "factor_lead_minutes": FACTOR_LEAD_MINUTES,
            "burst_min_errors": BURST_MIN_ERRORS,
            "metrics": asdict(metric_changes.MetricDetection()),
        },
    }
    facts["window"] = impact_window(con, facts) if incident and anchor["impact_start"] else None
    facts["metrics"] = metric_changes.gather(con, facts)
    facts["evidence"] = {
        "events": ordered_events(timeline_events(con, facts) + metric_changes.events(facts["metrics"]))
    }
    if evidence:
        facts["evidence"].update(gather_evidence(con, facts, quality))
        facts["evidence"]["metric_minutes"] = metric_changes.chart_rows(con, facts, facts["metrics"])
    if any(row["kind"] == "webrtc" for row in quality) and webrtc_facts.present(con):  # else: as before
        facts["webrtc"] = webrtc_facts.gather(con)
        rows = facts["webrtc"].pop("rows")
        facts["evidence"]["events"] = ordered_events(
            facts["evidence"]["events"] + webrtc_facts.events(facts["webrtc"], rows)
        )
        if evidence:
            facts["evidence"]["webrtc"] = rows
    return facts


def build_summary(con: duckdb.DuckDBPyConnection, **options) -> dict:
    """The JSON summary: the facts without the report's evidence rows."""
    facts = gather_facts(con, evidence=False, **options)
    facts.pop("evidence")
    return facts


def impact_end(facts: dict) -> datetime | None:
    """Resolved, else the end of the down phase (impact lasted until then), else the failed room's end."""
    anchor, incident = facts["anchors"], facts["incident"]
    if anchor["resolved"]:
        return anchor["resolved"]
    down = next((p["end"] for p in (incident or {}).get("phases", []) if p["phase"] == "down"), None)
    return down or _space(facts, incident["space_id"]).get("ended_at")


def impact_window(con: duckdb.DuckDBPyConnection, facts: dict) -> dict:
    """Who and what the impact window [impact start, impact end) touched, in the failed room (users) and in
    the failed room and its replacement (errors, glitch reports)."""
    incident, move = facts["incident"], facts["switchover"]
    start, end = facts["anchors"]["impact_start"], impact_end(facts)
    affected = first(queries.run(con, "affected", space_id=incident["space_id"], start=start, end=end)) or {}
    counts = (
        first(
            queries.run(
                con,
                "window_counts",
                from_space=incident["space_id"],
                to_space=move["to_space"] if move else None,
                start=start,
                end=end,
            )
        )
        or {}
    )
    return {
        "start": start,
        "end": end,
        "users_affected": affected.get("users_present", 0),
        "users_reporting": affected.get("users_reporting", 0),
        "errors": counts.get("errors", 0),
        "glitches": counts.get("glitches", 0),
    }


def _space(facts: dict, space_id: str | None) -> dict:
    return next((s for s in facts["spaces"] if s["space_id"] == space_id), {})


def gather_evidence(con: duckdb.DuckDBPyConnection, facts: dict, quality: list[dict]) -> dict:
    """The aggregated rows behind the report's charts and tables."""
    incident, move = facts["incident"], facts["switchover"]
    out: dict = {
        "data_quality": quality,
        "files": records(queries.run(con, "files")),
        "reject_reasons": records(queries.run(con, "reject_reasons", limit=10)),
    }
    if facts["coverage"]["error"]["rows"]:
        burst = facts["error_burst"]
        start = burst["start"] if burst else facts["coverage"]["error"]["from"]
        end = burst["end"] if burst else facts["coverage"]["error"]["to"]
        out["first_errors"] = records(queries.run(con, "first_errors"))
        out["top_messages"] = records(queries.run(con, "top_messages", start=start, end=end, limit=TOP_MESSAGES))
        out["error_rate"] = records(queries.run(con, "error_rate", **error_rate_span(facts)))
    if incident is None:
        return out
    from_space, to_space = incident["space_id"], move["to_space"] if move else None
    from_room = _space(facts, from_space)
    pair = dict(from_space=from_space, to_space=to_space)
    phases = incident["phases"]
    start = phases[0]["start"] if phases else from_room.get("started_at")
    end = phases[-1]["end"] if phases else from_room.get("ended_at")
    out["timeline"] = records(queries.run(con, "timeline", **pair))
    out["errors_per_minute"] = records(queries.run(con, "errors_per_minute", **pair, start=start, end=end))
    out["glitches_per_minute"] = records(queries.run(con, "glitches_per_minute", **pair))
    out["error_breakdown"] = records(queries.run(con, "error_breakdown", **pair, start=start, end=end))
    out["glitch_breakdown"] = records(queries.run(con, "glitch_breakdown", space_id=from_space))
    out["storm"] = records(queries.run(con, "reconnect_storm", space_id=from_space))
    out["speakers"] = records(queries.run(con, "speakers", **pair))
    out["mic_toggles"] = records(queries.run(con, "mic_toggles", **pair))
    impact_start = facts["anchors"]["impact_start"]
    if impact_start and from_room:
        window = dict(space_id=from_space, start=impact_start, end=impact_end(facts))
        out["blast"] = records(queries.run(con, "blast_radius", **window))
        out["factors"] = records(
            queries.run(
                con,
                "contributing_factors",
                space_id=from_space,
                baseline_start=from_room["started_at"],
                degraded_at=impact_start,
                factor_lead_minutes=FACTOR_LEAD_MINUTES,
                window_end=from_room["ended_at"],
                min_records=FACTOR_MIN_RECORDS,
                min_lift=FACTOR_MIN_LIFT,
            )
        )
    if move:
        out["funnel"] = records(queries.run(con, "funnel", **pair))
        out["time_to_follow"] = records(queries.run(con, "time_to_follow", **pair))
    return out


def error_rate_span(facts: dict) -> dict:
    """The whole error log ([first, last + 1 µs): the end is exclusive), or the burst +- 1 h when the log is
    longer than a day (a stray timestamp years away must not stretch the chart)."""
    logged, burst = facts["coverage"]["error"], facts["error_burst"]
    start, end = logged["from"], logged["to"] + timedelta(microseconds=1)
    if burst and end - start > ERROR_RATE_SPAN:
        start, end = burst["start"] - timedelta(hours=1), burst["end"] + timedelta(hours=1)
    return {"start": start, "end": end}


def anchors(incident, switchover, phases, detected, overrides: dict) -> dict:
    """Impact start, detected, mitigated, resolved (each overridable from the notes), and the durations
    between them in seconds. Without a resolution, impact lasts until the end of the down phase."""
    by_phase = {p["phase"]: p for p in phases}
    impact = overrides.get("impact_start", incident["degraded_at"] if incident else None)
    detected_at = overrides.get("detected", detected["detected_at"] if detected else None)
    mitigated = overrides.get("mitigated", switchover["to_started_at"] if switchover else None)
    resolved = overrides.get("resolved", by_phase["recovered"]["start"] if "recovered" in by_phase else None)

    def seconds(a, b):
        return (b - a).total_seconds() if a and b else None

    return {
        "impact_start": impact,
        "detected": detected_at,
        "mitigated": mitigated,
        "resolved": resolved,
        "time_to_detect_s": seconds(impact, detected_at),
        "time_to_mitigate_s": seconds(impact, mitigated),
        "impact_duration_s": seconds(impact, resolved or (by_phase.get("down") or {}).get("end")),
        "overridden": sorted(overrides),
    }


def to_json_ready(value):
    """Datetimes as ISO-8601 UTC strings and non-finite floats as null, recursively: JSON has no NaN."""
    if isinstance(value, dict):
        return {k: to_json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_ready(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    return value


def timeline_events(con: duckdb.DuckDBPyConnection, facts: dict) -> list[dict]:
    """Key events in time order. With an incident room: the key_events query plus degradation, phases, peaks
    and the switch-over. Without one, from the error log alone: each service's first error and the burst."""
    incident, switchover = facts["incident"], facts["switchover"]
    if incident is None:
        return error_events(con, facts)
    to_space = switchover["to_space"] if switchover else None
    events = records(queries.run(con, "key_events", from_space=incident["space_id"], to_space=to_space))
    for p in incident["phases"]:
        events.append(
            {
                "ts": p["start"],
                "space_id": p["space_id"],
                "kind": f"phase: {p['phase']}",
                "actor": None,
                "detail": None,
                "until": p["end"],
            }
        )
    for s in facts["spaces"]:
        if s["space_id"] in (incident["space_id"], to_space) and s["peak_at"] is not None:
            events.append(
                {
                    "ts": s["peak_at"],
                    "space_id": s["space_id"],
                    "kind": "peak concurrency",
                    "actor": None,
                    "detail": f"{s['peak_concurrent']:,} present",
                }
            )
    if switchover:
        events.append(
            {
                "ts": switchover["to_started_at"],
                "space_id": to_space,
                "kind": "switch-over",
                "actor": switchover["to_host"],
                "detail": f"{switchover['gap_seconds']:.0f} s after {incident['space_id']} ended; "
                f"{switchover['listeners_followed']:,} listeners followed ({switchover['follow_rate']:.1%})",
            }
        )
    if incident["detected"]:
        d = incident["detected"]
        events.append(
            {
                "ts": d["detected_at"],
                "space_id": incident["space_id"],
                # "first error", not "after onset": errors may lead the audio failure (a negative lead)
                "kind": "first error naming the room",
                "actor": d["service"],
                "detail": d["message"],
            }
        )
    return ordered_events(events)


def error_events(con: duckdb.DuckDBPyConnection, facts: dict) -> list[dict]:
    if not facts["coverage"]["error"]["rows"]:
        return []
    events = [
        {
            "ts": r["first_at"],
            "space_id": r["space_id"],
            "kind": "first error",
            "actor": r["service"],
            "detail": (f"{r['code']}: " if r["code"] else "") + r["message"],
        }
        for r in records(queries.run(con, "first_errors"))
    ]
    burst = facts["error_burst"]
    if burst:
        detail = f"{burst['errors']:,} error-level records over {burst['minutes']} min"
        events.append(
            {"ts": burst["start"], "space_id": None, "kind": "error burst start", "actor": None, "detail": detail}
        )
        events.append({"ts": burst["end"], "space_id": None, "kind": "error burst end", "actor": None, "detail": ""})
    return ordered_events(events)


def ordered_events(events: list[dict]) -> list[dict]:
    return sorted(events, key=lambda e: (e["ts"], e["kind"], e["space_id"] or "", e["actor"] or ""))
