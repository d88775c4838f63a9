"""Charts as pure functions: aggregated rows in, a Vega-Lite spec (dict) out.

Rows arrive as plain dicts with times already ISO-8601 UTC strings, so specs are JSON as they stand and
never carry more than the few thousand aggregated rows a query returned. Every time axis uses a UTC scale:
Vega-Lite would otherwise draw the viewer's local time.
"""

from __future__ import annotations

from datetime import datetime

import altair as alt

PHASE_COLORS = {
    "healthy": "#d9f0d3",
    "degraded": "#fdd49e",
    "down": "#fcae91",
    "recovering": "#c6dbef",
    "recovered": "#e5f5e0",
}
WIDTH = 860
LABEL_LINES = 7  # key-event labels are staggered over this many lines so close neighbours stay readable


def _time(field: str, title: str | None = None, axis: bool = True) -> alt.X:
    return alt.X(
        f"{field}:T",
        title=title,
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format="%H:%M", labelAngle=0) if axis else None,
    )


def _spec(chart: alt.TopLevelMixin) -> dict:
    return chart.to_dict(validate=True)


def failure_timeline(minutes: list[dict], phases: list[dict], markers: list[dict], errors: list[dict]) -> dict:
    """Present users per room, glitch share and error-level records per minute, on one UTC axis,
    with phase bands and labelled markers for the key events."""
    x_scale = alt.Scale(type="utc")

    def x(field: str, title=None):
        return alt.X(f"{field}:T", title=title, scale=x_scale, axis=alt.Axis(format="%H:%M", labelAngle=0))

    bands = (
        alt.Chart(alt.Data(values=phases))
        .mark_rect(opacity=0.5)
        .encode(
            x=x("start"),
            x2="end:T",
            color=alt.Color(
                "phase:N",
                scale=alt.Scale(domain=list(PHASE_COLORS), range=list(PHASE_COLORS.values())),
                legend=alt.Legend(title="phase", orient="top"),
            ),
            tooltip=[
                "phase:N",
                "space_id:N",
                alt.Tooltip("start:T", format="%H:%M:%S", title="start (UTC)"),
                alt.Tooltip("end:T", format="%H:%M:%S", title="end (UTC)"),
            ],
        )
    )
    presence = (
        alt.Chart(alt.Data(values=minutes))
        .mark_line(interpolate="step-after")
        .encode(
            x=x("minute", None),
            y=alt.Y("present_users:Q", title="users present"),
            color=alt.Color("space_id:N", title="room", legend=alt.Legend(orient="top")),
            tooltip=[
                "space_id:N",
                alt.Tooltip("minute:T", format="%H:%M", title="minute (UTC)"),
                "present_users:Q",
            ],
        )
    )
    rules = (
        alt.Chart(alt.Data(values=markers))
        .mark_rule(color="#444", strokeDash=[4, 3])
        .encode(
            x=x("ts"),
            tooltip=[alt.Tooltip("ts:T", format="%H:%M:%S", title="UTC"), "label:N"],
        )
    )
    top = (
        alt.layer(bands, presence, rules)
        .resolve_scale(color="independent")
        .properties(width=WIDTH, height=220, title="Who was in each room")
    )
    # Labels sit in their own strip above the chart.
    staggered = stagger(markers, [m["minute"] for m in minutes] + [p["end"] for p in phases])
    base = alt.Chart(alt.Data(values=staggered)).encode(x=x("ts", None), y=alt.Y("line:O", axis=None), text="label:N")
    labels = alt.layer(
        base.transform_filter("!datum.right").mark_text(align="left", dx=3, fontSize=10, color="#333"),
        base.transform_filter("datum.right").mark_text(align="right", dx=-3, fontSize=10, color="#333"),
    )
    ticks = (
        alt.Chart(alt.Data(values=staggered))
        .mark_tick(color="#444", thickness=1)
        .encode(x=x("ts", None), y=alt.Y("line:O", axis=None))
    )
    strip = alt.layer(ticks, labels).properties(width=WIDTH, height=14 * LABEL_LINES, title="Key events")

    share = (
        alt.Chart(alt.Data(values=minutes))
        .mark_line(interpolate="step-after")
        .encode(
            x=x("minute", None),
            y=alt.Y("glitch_share:Q", title="share reporting glitches", axis=alt.Axis(format="%")),
            color=alt.Color("space_id:N", title="room", legend=alt.Legend(orient="top")),
            tooltip=[
                "space_id:N",
                alt.Tooltip("minute:T", format="%H:%M"),
                alt.Tooltip("glitch_share:Q", format=".1%"),
            ],
        )
        .properties(width=WIDTH, height=110, title="Share of present users reporting a glitch")
    )

    error_bars = (
        alt.Chart(alt.Data(values=errors))
        .mark_bar()
        .encode(
            x=x("minute", "UTC"),
            y=alt.Y("sum(records):Q", title="error-level records"),
            color=alt.Color("service:N", title="service", legend=alt.Legend(orient="bottom")),
            tooltip=["service:N", alt.Tooltip("minute:T", format="%H:%M"), "sum(records):Q"],
        )
        .properties(width=WIDTH, height=110, title="Errors per minute by service")
    )
    return _spec(alt.vconcat(strip, top, share, error_bars, spacing=12).resolve_scale(x="shared", color="independent"))


def stagger(markers: list[dict], times: list[str]) -> list[dict]:
    """Give each marker a label line so labels do not overprint: the first line whose last label ends left
    of this one (label widths estimated at 6 px a character on the chart's width)."""
    if not markers or not times:
        return [{**m, "line": 0} for m in markers]
    seconds = [datetime.fromisoformat(t).timestamp() for t in times + [m["ts"] for m in markers]]
    start, span = min(seconds), max(max(seconds) - min(seconds), 1)
    ends = [float("-inf")] * LABEL_LINES
    placed = []
    for m in sorted(markers, key=lambda m: m["ts"]):
        x = (datetime.fromisoformat(m["ts"]).timestamp() - start) / span * WIDTH
        free = [i for i, end in enumerate(ends) if end + 4 < x]
        line = free[0] if free else min(range(LABEL_LINES), key=ends.__getitem__)
        width = 7 * (len(m["label"]) + 1)
        ends[line] = x + width
        placed.append({**m, "line": line, "right": x + width > WIDTH})  # labels at the far right read leftwards
    return placed


def funnel(steps: list[dict]) -> dict:
    chart = (
        alt.Chart(alt.Data(values=steps))
        .mark_bar(color="#4c78a8")
        .encode(
            y=alt.Y("step:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("listeners:Q", title="listeners"),
            tooltip=["step:N", "listeners:Q", alt.Tooltip("share_of_start:Q", format=".1%")],
        )
    )
    text = chart.mark_text(align="left", dx=4).encode(text=alt.Text("share_of_start:Q", format=".0%"))
    return _spec(
        (chart + text).properties(width=560, height=30 * max(len(steps), 1), title="Audience migration (listeners)")
    )


def errors_by_service(rows: list[dict]) -> dict:
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("records:Q", title="error- and fatal-level records"),
            color=alt.Color("level:N", scale=alt.Scale(domain=["error", "fatal"], range=["#f58518", "#b30000"])),
            tooltip=[
                "service:N",
                "code:N",
                "level:N",
                "records:Q",
                "servers:Q",
                "sample_message:N",
            ],
        )
    )
    return _spec(chart.properties(width=560, height=22 * max(len(rows), 1), title="Errors by service and code"))


def glitches_over_time(rows: list[dict]) -> dict:
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_area()
        .encode(
            x=_time("minute", "UTC"),
            y=alt.Y("reports:Q", stack="zero", title="reports per minute"),
            color=alt.Color("glitch:N", title="glitch"),
            row=alt.Row("space_id:N", title=None),
            tooltip=[
                "space_id:N",
                "glitch:N",
                alt.Tooltip("minute:T", format="%H:%M"),
                "reports:Q",
                "users:Q",
            ],
        )
    )
    return _spec(
        chart.properties(width=WIDTH - 60, height=120, title="Glitch reports by kind").resolve_scale(y="independent")
    )


def blast_radius(rows: list[dict]) -> dict:
    """One bar chart per dimension, stacked (a faceted chart with an independent y scale and a colour
    gradient trips a Vega bug in vl-convert's renderer)."""
    color = alt.Color(
        "share_reporting:Q",
        title="share reporting",
        scale=alt.Scale(scheme="orangered", domain=[0, 1]),
        legend=alt.Legend(format=".0%"),
    )
    panels = []
    for dimension in dict.fromkeys(r["dimension"] for r in rows):
        subset = [r for r in rows if r["dimension"] == dimension]
        panels.append(
            alt.Chart(alt.Data(values=subset))
            .mark_bar()
            .encode(
                y=alt.Y("value:N", sort="-x", title=dimension),
                x=alt.X("users_present:Q", title="users present while degraded"),
                color=color,
                tooltip=[
                    "dimension:N",
                    "value:N",
                    "users_present:Q",
                    "users_reporting:Q",
                    alt.Tooltip("share_reporting:Q", format=".1%"),
                ],
            )
            .properties(width=480, height=18 * len(subset))
        )
    return _spec(alt.vconcat(*panels).properties(title="Blast radius"))


def contributing_factors(rows: list[dict]) -> dict:
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("lift:Q", title="times over-represented vs. baseline"),
            color=alt.Color("source:N", title="seen in"),
            tooltip=[
                "source:N",
                "dimension:N",
                "value:N",
                "lift:Q",
                "window_records:Q",
                "baseline_records:Q",
                alt.Tooltip("window_share:Q", format=".1%"),
                alt.Tooltip("baseline_share:Q", format=".1%"),
            ],
        )
    )
    rule = alt.Chart(alt.Data(values=[{"one": 1}])).mark_rule(strokeDash=[3, 3]).encode(x="one:Q")
    return _spec(
        (chart + rule).properties(
            width=560,
            height=22 * max(len(rows), 1),
            title="Contributing factors (lift in the degraded window)",
        )
    )


def reconnect_storm(rows: list[dict]) -> dict:
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color="#9467bd")
        .encode(
            x=_time("minute", "UTC"),
            y=alt.Y("rejoins:Q", title="rejoins per minute"),
            tooltip=[
                alt.Tooltip("minute:T", format="%H:%M"),
                "rejoins:Q",
                "rejoining_users:Q",
                "users_with_3_plus_rejoins:Q",
            ],
        )
    )
    heavy = (
        alt.Chart(alt.Data(values=rows))
        .mark_line(color="#333", strokeDash=[4, 2])
        .encode(x=_time("minute", "UTC"), y=alt.Y("users_with_3_plus_rejoins:Q", title="users with 3+ rejoins"))
    )
    return _spec(
        alt.layer(bars, heavy)
        .resolve_scale(y="independent")
        .properties(width=WIDTH - 60, height=140, title="Reconnect storm in the failed room")
    )
