"""Which metric series moved, when, and what an alert would have done: the metrics part of the facts.

Asks the database once (`queries/metric_changes.sql`, over the `metric_minutes` view) with the incident's onset
and the definitions below, then sets each series' alert against the first error logged and the notes' detection
time. The onset is the audio incident's impact start, else the start of the error burst; without one a series is
judged against its own first minutes and has no lead time.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime

from postmortem import queries

CHART_SERIES = 8  # series drawn in the report: the changed ones first, earliest first


@dataclass(frozen=True)
class MetricDetection:
    """Tunable definitions (see docs/definitions.md, "Metric change point" and "Alert what-if")."""

    baseline_minutes: int = 45  # the baseline: this many minutes of a series...
    guard_minutes: int = 15  # ...ending this long before the onset (so an early mover is not its own baseline)
    mad_factor: float = 5.0  # a changed minute lies this many robust deviations (1.4826 x MAD) from the median...
    min_relative: float = 0.1  # ...and at least this share of the median away from it
    sustain_minutes: int = 3  # consecutive changed minutes that make a change
    min_baseline_minutes: int = 10  # fewer baseline minutes: no judgement
    alert_quantile: float = 0.999  # the alert what-if's threshold: the baseline's p99.9 (p0.1 for a fall)...
    alert_hold_minutes: int = 5  # ...held this long
    horizon_minutes: int = 120  # with an onset, changes are looked for until this long after it


def onset(facts: dict) -> datetime | None:
    """The incident's onset: impact start (the audio degraded), else the error burst's start."""
    anchors, burst = facts["anchors"], facts["error_burst"]
    return anchors["impact_start"] or (burst["start"] if burst else None)


def query_parameters(facts: dict, detection: MetricDetection = MetricDetection()) -> dict:
    """metric_changes' parameters: the definitions (`metric_` + field), the onset and the incident room whose
    glitch share the series are correlated with (`postmortem query`'s defaults too)."""
    incident = facts["incident"]
    return {
        **{f"metric_{k}": v for k, v in asdict(detection).items()},
        "onset": onset(facts),
        "glitch_space": incident["space_id"] if incident else None,
    }


def has_metrics(con) -> bool:
    return queries.engine_of(con).holds("metrics/present")


def gather(con, facts: dict, detection: MetricDetection = MetricDetection()) -> list[dict]:
    """One dict per series (the JSON summary's `metrics`), leading series first."""
    if not has_metrics(con):
        return []
    rows = queries.run(con, "metric_changes", **query_parameters(facts, detection)).to_dicts()
    first_error = first_error_logged(con, facts)
    anchors = facts["anchors"]
    detected = anchors["detected"] if "detected" in anchors["overridden"] else None
    for row in rows:
        row["labels"] = json.loads(row["labels"])
        row["changed_before_first_error_s"] = _seconds(row["changed_at"], first_error)
        row["alert_before_first_error_s"] = _seconds(row["alert_at"], first_error)
        row["alert_before_detection_s"] = _seconds(row["alert_at"], detected)
    return rows


def first_error_logged(con, facts: dict) -> datetime | None:
    """The first error logged for this incident: the first after its onset (the `detected` query), else the
    first error-level record of all."""
    incident = facts["incident"]
    if incident and incident.get("detected"):
        return incident["detected"]["detected_at"]
    if not facts["coverage"]["error"]["rows"]:
        return None
    firsts = queries.run(con, "first_errors")
    return firsts["first_at"].min() if firsts.height else None


def _seconds(earlier: datetime | None, later: datetime | None) -> float | None:
    """How long `earlier` came before `later` (negative: after it); None when either is unknown."""
    return (later - earlier).total_seconds() if earlier and later else None


def chart_rows(con, facts: dict, metrics: list[dict]) -> list[dict]:
    """The per-minute values of the series the report draws (see CHART_SERIES)."""
    shown = shown_series(metrics)
    if not shown:
        return []
    return queries.run(
        con,
        "metrics/series_minutes",
        names=[s["name"] for s in shown],
        labels=[json.dumps(s["labels"], sort_keys=True, separators=(",", ":"), ensure_ascii=False) for s in shown],
    ).to_dicts()


def series_label(metric: dict) -> str:
    """`name{a="x",b="y"}`, as Prometheus writes a series."""
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(metric["labels"].items()))
    return f"{metric['name']}{{{labels}}}" if labels else metric["name"]


def events(metrics: list[dict]) -> list[dict]:
    """Key events for the timeline: the change points of the series the report draws (at most CHART_SERIES)."""
    out = []
    for m in shown_series(metrics):
        if m["changed_at"] is None:
            continue
        lead = m["lead_seconds"]
        when = "" if lead is None else f", {abs(lead) / 60:.0f} min {'before' if lead >= 0 else 'after'} the onset"
        detail = f"{'rose' if m['direction'] == 'up' else 'fell'} from its baseline{when}"
        out.append(
            {
                "ts": m["changed_at"],
                "space_id": None,
                "kind": "metric changed",
                "actor": series_label(m),
                "detail": detail,
            }
        )
    return out


def shown_series(metrics: list[dict]) -> list[dict]:
    """The series drawn: changed ones earliest first (the query's order), then the steady ones."""
    changed = [m for m in metrics if m["changed_at"] is not None]
    rest = [m for m in metrics if m["changed_at"] is None]
    return (changed + rest)[:CHART_SERIES]
