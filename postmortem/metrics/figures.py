"""The report's metrics section from the facts: the lead-time table, small charts of the series drawn (leading
ones first) on the timeline's UTC axis with the incident's markers, and the summary's sentence when a series
moved well before the onset. Pure functions of the facts; nothing here asks the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import altair as alt

from postmortem import charts, figures
from postmortem.human_times import Clock, duration, iso
from postmortem.metrics.changes import onset, series_label, shown_series

TABLE_ROWS = 50  # the lead-time table lists this many series (changed ones first); the JSON and query hold all
WELL_BEFORE_S = 120  # a series that moved at least this long before the onset is named in the summary
MARGIN = timedelta(minutes=5)
COLORS = {  # one colour per kind of moment, the same on every panel
    "onset": "#d9480f",
    "first error logged": "#c92a2a",
    "detected (notes)": "#5f3dc4",
    "changed (up)": "#2b8a3e",
    "changed (down)": "#2b8a3e",
    "alert would fire": "#e67700",
}
# The glossary's metric terms (added to the report's glossary only when metrics were loaded), formatted with
# facts["definitions"]["metrics"].
GLOSSARY = [
    (
        "metric change point",
        "Baseline: a series' minutes in the {baseline_minutes} minutes ending {guard_minutes} minutes before the "
        "onset (a gauge's mean, a counter's rate per second, resets counted as restarts); its median and robust "
        "spread 1.4826 × MAD. The change point is the start of the first run of {sustain_minutes} or more minutes "
        "all more than max({mad_factor} × spread, {min_relative:.0%} of the median) above, or all below, the "
        "median. Lead = onset − change point (positive: it moved first).",
    ),
    (
        "alert what-if",
        "An alert at the baseline's {alert_quantile:.1%} quantile (the mirror quantile for a series that fell), "
        "held for {alert_hold_minutes} consecutive minutes: it fires at the start of the first such run + "
        "{alert_hold_minutes} minutes, compared with the first error logged and the notes' detection time.",
    ),
]


def glossary(facts: dict) -> list[dict]:
    """The metric terms for the report's glossary, or none without metrics."""
    if not facts.get("metrics"):
        return []
    return [{"term": term, "text": text.format(**facts["definitions"]["metrics"])} for term, text in GLOSSARY]


def section(facts: dict, clock: Clock) -> dict | None:
    """The context of templates/_metrics.*; None when no metrics were loaded (the report is then unchanged)."""
    metrics = facts.get("metrics") or []
    if not metrics:
        return None
    start = onset(facts)
    return {
        "onset": clock(start),
        "has_onset": start is not None,
        "series": len(metrics),
        "changed": sum(m["changed_at"] is not None for m in metrics),
        "rows": [lead_row(m, clock) for m in metrics[:TABLE_ROWS]],
        "not_listed": max(0, len(metrics) - TABLE_ROWS),
        "shown": len(shown_series(metrics)),
    }


def lead_row(m: dict, clock: Clock) -> dict:
    lead = m["lead_seconds"]
    if lead is None:
        when = "—"
    else:
        when = f"{duration(abs(lead))} {'before' if lead >= 0 else 'after'} the onset" if lead else "at the onset"
    size = "—"
    if m["size"] is not None:
        size = f"{m['size']:+.4g}" + (f" ({m['relative_size']:+.0%})" if m["relative_size"] is not None else "")
    versus = m["alert_before_first_error_s"]
    return {
        "series": series_label(m),
        "type": m["type"],
        "status": m["status"],
        "direction": m["direction"] or "",
        "changed_at": clock(m["changed_at"]),
        "lead": when,
        "size": size,
        "baseline": "—" if m["baseline_median"] is None else f"{m['baseline_median']:.4g}",
        "alert_at": clock(m["alert_at"]),
        "alert_vs_first_error": "—"
        if versus is None
        else f"{duration(abs(versus))} {'before' if versus >= 0 else 'after'} the first error",
        "glitch_correlation": "—" if m["glitch_correlation"] is None else f"{m['glitch_correlation']:+.2f}",
    }


def sentence(facts: dict) -> str:
    """One sentence for the summary when a series moved well before the onset (the earliest such), else ''."""
    early = [m for m in facts.get("metrics") or [] if (m["lead_seconds"] or 0) >= WELL_BEFORE_S]
    if not early:
        return ""
    m = min(early, key=lambda x: x["changed_at"])
    verb = "rose" if m["direction"] == "up" else "fell"
    text = f" Metric {series_label(m)} {verb} {duration(m['lead_seconds'])} before the onset"
    if m.get("changed_before_first_error_s") and m["changed_before_first_error_s"] > 0:
        text += f" and {duration(m['changed_before_first_error_s'])} before the first error was logged"
    return text + "."


def markers(facts: dict) -> list[dict]:
    """The incident's moments drawn on every metric chart."""
    anchors, out = facts["anchors"], []
    start = onset(facts)
    if start:
        out.append({"ts": iso(start), "label": "onset"})
    incident = facts["incident"]
    if incident and incident.get("detected"):
        out.append({"ts": iso(incident["detected"]["detected_at"]), "label": "first error logged"})
    if "detected" in anchors["overridden"] and anchors["detected"]:
        out.append({"ts": iso(anchors["detected"]), "label": "detected (notes)"})
    return out


def span(facts: dict, rows: list[dict]) -> tuple[datetime, datetime]:
    """The timeline's span when there is an incident room (so the charts line up with it), widened to show the
    changes; else the series' own minutes."""
    changes = [m["changed_at"] for m in facts["metrics"] if m["changed_at"] is not None]
    if facts["incident"] is not None:
        start, end = figures.timeline_span(facts)
    else:
        start, end = rows[0]["minute"], max(r["minute"] for r in rows) + timedelta(minutes=1)
    if changes:
        start, end = min(start, min(changes) - MARGIN), max(end, max(changes) + MARGIN)
    return start, end


def chart(facts: dict, width: int = charts.WIDTH) -> dict | None:
    """Small multiples, one per series drawn, on one UTC axis: the series' minute values, its change point and
    the alert what-if's firing time, and the incident's markers; `width` as for every chart (see figures)."""
    rows = facts["evidence"].get("metric_minutes") or []
    if not rows:
        return None
    shown = shown_series(facts["metrics"])
    lo, hi = span(facts, rows)
    domain = figures.domain(lo, hi)
    lo, hi = datetime.fromisoformat(domain[0]), datetime.fromisoformat(domain[1])
    marks = markers(facts)
    panels = []
    for n, m in enumerate(shown):
        values = [
            {"minute": iso(r["minute"]), "value": r["value"]}
            for r in rows
            if r["series_no"] == n and lo <= r["minute"] <= hi
        ]
        moments = list(marks)
        if m["changed_at"] is not None:
            moments.append({"ts": iso(m["changed_at"]), "label": f"changed ({m['direction']})"})
        if m["alert_at"] is not None:
            moments.append({"ts": iso(m["alert_at"]), "label": "alert would fire"})
        line = (
            alt.Chart(alt.Data(values=values))
            .mark_line(point=alt.OverlayMarkDef(size=12), color="#1c7ed6")
            .encode(
                x=charts._x("minute", domain, "UTC" if n == len(shown) - 1 else None, axis=n == len(shown) - 1),
                y=alt.Y("value:Q", title="rate /s" if m["type"] == "counter" else "value", scale=alt.Scale(zero=False)),
                tooltip=[charts.when("minute", "minute (UTC)", seconds=False), alt.Tooltip("value:Q", format=".4g")],
            )
        )
        rules = (
            alt.Chart(alt.Data(values=moments))
            .mark_rule(strokeDash=[4, 3])
            .encode(
                x="ts:T",
                color=alt.Color(
                    "label:N",
                    title="moment",
                    scale=alt.Scale(domain=list(COLORS), range=list(COLORS.values())),
                    legend=alt.Legend(orient="top"),  # the same on every panel: one legend (the scale is shared)
                ),
                tooltip=["label:N", charts.when("ts", "at (UTC)")],
            )
        )
        title = series_label(m) + (
            f": {m['direction']} {duration(abs(m['lead_seconds']))} {'before' if m['lead_seconds'] >= 0 else 'after'}"
            " the onset"
            if m["lead_seconds"] is not None
            else (": changed" if m["changed_at"] else ": no change")
        )
        panels.append(
            alt.layer(line, rules).properties(width=charts._plot(width), height=70, title=alt.Title(title, fontSize=11))
        )
    return charts._spec(alt.vconcat(*panels).resolve_scale(x="shared", color="shared"))
