"""The numbers of the postmortem, from the named queries: the machine-readable summary that the JSON,
Markdown and HTML outputs all share, so a number means the same thing everywhere.

Which room is the incident, when it degraded, where the event moved and when each anchor time fell are
decided here by composing queries; every count itself is computed in SQL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import duckdb
import polars as pl

from postmortem import queries
from postmortem.errors import InputError


@dataclass(frozen=True)
class Detection:
    """Tunable definitions (see docs/definitions.md)."""

    factor: float = 5.0  # a degraded minute's glitch share is at least this many times the baseline...
    floor_share: float = 0.05  # ...and at least this share of present users...
    min_reporters: int = 5  # ...reported by at least this many users
    baseline_minutes: int = 10  # baseline: median share over the room's first minutes
    sustain_minutes: int = 2  # consecutive minutes that make a degradation (and a recovery) sustained
    window_minutes: int = 60  # a replacement room starts no later than this after the failed room ended
    lead_minutes: int = 10  # errors up to this long before degradation count as detecting it


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def rows(frame: pl.DataFrame) -> list[dict]:
    """Frame rows as dicts with times as ISO-8601 UTC strings (for charts and JSON)."""
    return [{k: iso(v) if isinstance(v, datetime) else v for k, v in row.items()} for row in frame.to_dicts()]


def find_incident(con: duckdb.DuckDBPyConnection, detection: Detection, space: str | None) -> dict | None:
    """The incident room's detection row; `space` overrides the ranking."""
    ranking = queries.run(
        con,
        "incident_ranking",
        factor=detection.factor,
        floor_share=detection.floor_share,
        baseline_minutes=detection.baseline_minutes,
        sustain_minutes=detection.sustain_minutes,
        min_reporters=detection.min_reporters,
    )
    if space is None:
        return ranking.row(0, named=True) if ranking.height else None
    known = con.sql("select 1 from space_bounds where space_id = $s", params={"s": space}).fetchall()
    if not known:
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


def build_summary(
    con: duckdb.DuckDBPyConnection,
    *,
    space: str | None = None,
    detection: Detection = Detection(),
    anchor_overrides: dict | None = None,
) -> dict:
    """Everything the report states, as plain data (datetimes kept as datetimes; see `to_json_ready`)."""
    spaces = queries.run(con, "spaces")
    incident = find_incident(con, detection, space)
    switchover = None
    phases: list[dict] = []
    detected = None
    if incident is not None:
        moved = queries.run(
            con,
            "switchover",
            from_space=incident["space_id"],
            window_minutes=detection.window_minutes,
        )
        switchover = moved.row(0, named=True) if moved.height else None
        if incident["degraded_at"] is not None:
            phases = queries.run(
                con,
                "phases",
                from_space=incident["space_id"],
                to_space=switchover["to_space"] if switchover else None,
                degraded_at=incident["degraded_at"],
                threshold=incident["threshold"],
                sustain_minutes=detection.sustain_minutes,
            ).to_dicts()
            found = queries.run(
                con,
                "detected",
                space_id=incident["space_id"],
                degraded_at=incident["degraded_at"],
                lead_minutes=detection.lead_minutes,
            )
            detected = found.row(0, named=True) if found.height else None
    errors = queries.run(con, "errors_by_service")
    glitches = queries.run(con, "glitches_by_kind")
    quality = queries.run(con, "data_quality")
    return {
        "spaces": spaces.drop("duration_s").to_dicts(),
        "incident": None
        if incident is None
        else {
            **incident,
            "phases": [
                {
                    "phase": p["phase"],
                    "space_id": p["space_id"],
                    "start": p["start"],
                    "end": p["end"],
                }
                for p in phases
            ],
            "detected": detected,
        },
        "switchover": switchover,
        "anchors": anchors(incident, switchover, phases, detected, anchor_overrides or {}),
        "errors": {
            "total": int(errors["errors"].sum() + errors["fatal"].sum()) if errors.height else 0,
            "by_service": {r["service"]: r["errors"] + r["fatal"] for r in errors.to_dicts()},
        },
        "glitches": {
            "total": int(glitches["reports"].sum()) if glitches.height else 0,
            "by_kind": dict(glitches.iter_rows()),
        },
        "data_quality": {
            key: {row["kind"]: row[key] for row in quality.to_dicts()}
            for key in ("loaded", "rejected", "duplicates", "blank", "files")
        },
        "definitions": asdict(detection),
    }


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
    """Datetimes as ISO-8601 UTC strings, recursively."""
    if isinstance(value, dict):
        return {k: to_json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_ready(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    return value


def timeline_events(con: duckdb.DuckDBPyConnection, summary: dict) -> list[dict]:
    """Key events in time order: the key_events query plus degradation, phases, peaks and the switch-over."""
    incident, switchover = summary["incident"], summary["switchover"]
    if incident is None:
        return []
    to_space = switchover["to_space"] if switchover else None
    events = queries.run(con, "key_events", from_space=incident["space_id"], to_space=to_space).to_dicts()
    for p in incident["phases"]:
        events.append(
            {
                "ts": p["start"],
                "space_id": p["space_id"],
                "kind": f"phase: {p['phase']}",
                "actor": None,
                "detail": f"until {iso(p['end'])}",
            }
        )
    for s in summary["spaces"]:
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
                "kind": "detected",
                "actor": d["service"],
                "detail": d["message"],
            }
        )
    return sorted(events, key=lambda e: (e["ts"], e["kind"], e["space_id"] or "", e["actor"] or ""))
