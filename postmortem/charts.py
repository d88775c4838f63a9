"""Charts as pure functions: aggregated rows in, a Vega-Lite spec (dict) out.

Rows arrive as plain dicts with times already ISO-8601 UTC strings, so specs are JSON as they stand and
never carry more than the few thousand aggregated rows a query returned. Every time axis uses a UTC scale and
every time in a tooltip goes through a UTC time unit: Vega-Lite would otherwise show the viewer's local
time under a "(UTC)" label (and `formatType: utc` on an ISO string shows NaN). Time axes tick on whole
minutes, so a short span never repeats a label.
"""

from __future__ import annotations

from datetime import datetime

import altair as alt

# Healthy green and recovered blue: the two calm phases must not be told apart by a shade.
PHASE_COLORS = {
    "healthy": "#b2f2bb",
    "degraded": "#ffd8a8",
    "down": "#ff8787",
    "recovering": "#e5dbff",
    "recovered": "#a5d8ff",
}
ROOM_COLORS = ["#c92a2a", "#1971c2"]  # the failed room, its replacement
PRESENT_TITLE = "present at any moment of the minute"
MIC_COLORS = {"mic on": "#2b8a3e", "mic off": "#adb5bd"}
WIDTH = 860  # a chart's plot width on a wide screen
NARROW = 290  # ...and on a phone (420 px less the page's margins and the axis labels)
LABEL_LINES = 9  # key-event labels are staggered over at most this many lines so close neighbours stay readable
BUCKET_NAMES = {60: "minute", 3600: "hour", 86400: "day"}
NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440)


def minute_step(domain: tuple[str, str] | None, ticks: int = 10) -> int:
    """The smallest whole-minute tick step giving at most about `ticks` ticks over the domain."""
    if not domain:
        return 5
    minutes = (datetime.fromisoformat(domain[1]) - datetime.fromisoformat(domain[0])).total_seconds() / 60
    return next((s for s in NICE_STEPS if minutes / s <= ticks), -(-minutes // (ticks * 1440)) * 1440)


def tick_values(domain: tuple[str, str], step: int) -> list[int]:
    """Tick positions (epoch milliseconds) on whole multiples of `step` minutes inside the domain. Given
    explicitly: Vega's own `tickCount: {interval: "minute"}` passes the schema but fails at run time."""
    start, end = (int(datetime.fromisoformat(t).timestamp()) for t in domain)
    first = -(-start // (step * 60)) * step * 60
    return [t * 1000 for t in range(first, end + 1, step * 60)]


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def _x(field: str, domain: tuple[str, str] | None, title: str | None = None, axis: bool = True) -> alt.X:
    """A UTC time axis over `domain`, ticking every few whole minutes (never twice on one minute)."""
    if not domain:
        return alt.X(
            f"{field}:T", title=title, scale=alt.Scale(type="utc"), axis=alt.Axis(format="%H:%M") if axis else None
        )
    step = int(minute_step(domain))
    return alt.X(
        f"{field}:T",
        title=title,
        scale=alt.Scale(type="utc", domainMin=_ms(domain[0]), domainMax=_ms(domain[1])),
        axis=alt.Axis(format="%H:%M" if step < 1440 else "%Y-%m-%d", labelAngle=0, values=tick_values(domain, step))
        if axis
        else None,
    )


def _plot(width: int) -> int:
    """A time chart's plot width: room for its y axis title and labels beside it."""
    return width - 80 if width > NARROW else width - 40


def _category_split(width: int) -> tuple[int, int]:
    """A bar chart's label width and plot width, together about `width`."""
    label = 320 if width > NARROW else 110
    return label, min(520, width - label)


def _minutes_x(field: str, domain: tuple[str, str], title: str | None = None) -> alt.X:
    """A per-minute bar's x: the whole UTC minute, so bars are a minute wide and stack."""
    x = _x(field, domain, title)
    x["timeUnit"] = "utcyearmonthdatehoursminutes"
    return x


def when(field: str, title: str, seconds: bool = True) -> alt.Tooltip:
    """A time in a tooltip, in UTC whatever the viewer's zone (a utc... time unit formats in UTC)."""
    return alt.Tooltip(
        f"{field}:T",
        timeUnit="utcyearmonthdatehoursminutesseconds",
        format="%H:%M:%S" if seconds else "%H:%M",
        title=title,
    )


def _spec(chart: alt.TopLevelMixin) -> dict:
    # Not validated here: Altair checks every part of a chart against the schema as it goes (1.3 s, a fifth of
    # a 0.25x report's time). The tests check each spec whole, once, against the same schema (tests/conftest.py,
    # invalid_charts) for the sample, an error-only log, the WebRTC and the metrics simulations.
    return chart.to_dict(validate=False)


def failure_timeline(
    minutes: list[dict],
    phases: list[dict],
    markers: list[dict],
    errors: list[dict],
    domain: tuple[str, str],
    title: str = "Who was in each room",
    *,
    rooms: list[str],
    peaks: list[dict] = (),
    width: int = WIDTH,
    compact: bool = False,
) -> dict:
    """Present users per room, glitch share and error-level records per minute, on one UTC axis over
    `domain`, with phase bands and labelled markers for the key events (rows already cut to the domain).
    `rooms` are the room labels in role order (failed, replacement): colours follow the role, not the name.
    `peaks` mark each room's most present at once, the number the key-figure card shows. `compact` keeps
    the key events and presence only (the first screen's chart)."""
    shown_phases = [p for p in PHASE_COLORS if any(b["phase"] == p for b in phases)]
    bands = (
        alt.Chart(alt.Data(values=phases))
        .mark_rect(opacity=0.5)
        .encode(
            x=_x("start", domain),
            x2="end:T",
            color=alt.Color(
                "phase:N",
                scale=alt.Scale(domain=shown_phases, range=[PHASE_COLORS[p] for p in shown_phases]),
                # On a phone the phase legend goes below the chart: two legends in a row are wider than it.
                legend=alt.Legend(
                    title="phase", orient="top" if width > NARROW else "bottom", columns=_legend_columns(width, 5)
                ),
            ),
            tooltip=["phase:N", "space_id:N", when("start", "start (UTC)"), when("end", "end (UTC)")],
        )
    )
    room_colour = alt.Color(
        "room:N",
        title="room",
        scale=alt.Scale(domain=rooms, range=ROOM_COLORS[: len(rooms)]),
        legend=alt.Legend(orient="top", columns=_legend_columns(width, 2)),
    )
    presence = (
        alt.Chart(alt.Data(values=minutes))
        .mark_line(interpolate="step-after")
        .encode(
            x=_x("minute", domain),
            y=alt.Y("present_users:Q", title=PRESENT_TITLE),
            color=room_colour,
            tooltip=["room:N", when("minute", "minute (UTC)", seconds=False), "present_users:Q"],
        )
    )
    rules = (
        alt.Chart(alt.Data(values=markers))
        .mark_rule(color="#444", strokeDash=[4, 3])
        .encode(x=_x("ts", domain), tooltip=[when("ts", "UTC"), "label:N"])
    )
    layers = [bands, presence, rules]
    if peaks:
        peak = alt.Chart(alt.Data(values=list(peaks))).encode(
            x=_x("ts", domain),
            y="peak_concurrent:Q",
            tooltip=["room:N", when("ts", "peak at (UTC)"), alt.Tooltip("peak_concurrent:Q", title="most at once")],
        )
        layers += [
            peak.mark_point(shape="diamond", size=70, filled=True).encode(
                color=alt.Color("room:N", scale=alt.Scale(domain=rooms, range=ROOM_COLORS[: len(rooms)]), legend=None)
            ),
            peak.mark_text(align="left", dx=6, dy=-8, fontSize=11, color="#333").encode(text="label:N"),
        ]
    top = (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .properties(width=width, height=160 if compact else 220, title=title)
    )
    # Labels sit in their own strip above the chart.
    staggered = stagger(markers, list(domain), width)
    lines = 1 + max((m["line"] for m in staggered), default=0)
    base = alt.Chart(alt.Data(values=staggered)).encode(
        x=_x("ts", domain, axis=False), y=alt.Y("line:O", axis=None), text="label:N"
    )
    sides = [
        base.transform_filter(test).mark_text(align=align, dx=dx, fontSize=10, color="#333")
        for test, align, dx, right in (("!datum.right", "left", 3, False), ("datum.right", "right", -3, True))
        if any(m.get("right", False) == right for m in staggered)  # an empty layer has an infinite extent: Vega warns
    ]
    labels = alt.layer(*sides) if sides else base.mark_text()
    ticks = (
        alt.Chart(alt.Data(values=staggered))
        .mark_tick(color="#444", thickness=1)
        .encode(x=_x("ts", domain, axis=False), y=alt.Y("line:O", axis=None))
    )
    strip = alt.layer(ticks, labels).properties(width=width, height=14 * lines, title="Key events")
    if compact:
        return _spec(alt.vconcat(strip, top, spacing=8).resolve_scale(x="shared", color="independent"))
    share = (
        alt.Chart(alt.Data(values=minutes))
        .mark_line(interpolate="step-after")
        .encode(
            x=_x("minute", domain),
            y=alt.Y("glitch_share:Q", title="share reporting glitches", axis=alt.Axis(format="%")),
            color=room_colour,
            tooltip=[
                "room:N",
                when("minute", "minute (UTC)", seconds=False),
                alt.Tooltip("glitch_share:Q", format=".1%"),
            ],
        )
        .properties(width=width, height=110, title="Share of present users reporting a glitch")
    )
    error_bars = (
        alt.Chart(alt.Data(values=errors))
        .mark_bar()
        .encode(
            x=_minutes_x("minute", domain, "UTC"),
            y=alt.Y("sum(records):Q", title="error-level records"),
            color=alt.Color(
                "service:N", title="service", legend=alt.Legend(orient="bottom", columns=_legend_columns(width, 3))
            ),
            tooltip=["service:N", when("minute", "minute (UTC)", seconds=False), "sum(records):Q"],
        )
        .properties(width=width, height=110, title="Errors per minute by service")
    )
    return _spec(alt.vconcat(strip, top, share, error_bars, spacing=12).resolve_scale(x="shared", color="independent"))


def _legend_columns(width: int, entries: int):
    """On a phone a legend's entries wrap, two or three a row; on a wide screen they stand in one row."""
    return alt.Undefined if width > NARROW else min(entries, 3 if entries > 3 else 2)


def stagger(markers: list[dict], times: list[str], width: int = WIDTH) -> list[dict]:
    """Give each marker a label line so labels do not overprint: the first line where its label's extent is
    free (label widths estimated at 7 px a character on the chart's width). A label that would run past the
    right edge reads leftwards from its line instead."""
    if not markers or not times:
        return [{**m, "line": 0} for m in markers]
    seconds = [datetime.fromisoformat(t).timestamp() for t in times + [m["ts"] for m in markers]]
    start, span = min(seconds), max(max(seconds) - min(seconds), 1)
    taken: list[list[tuple[float, float]]] = [[] for _ in range(LABEL_LINES)]
    placed = []
    for m in sorted(markers, key=lambda m: m["ts"]):
        x = (datetime.fromisoformat(m["ts"]).timestamp() - start) / span * width
        size = 7 * (len(m["label"]) + 1)
        right = x + size > width
        extent = (x - size, x) if right else (x, x + size)

        def overlap(line: int, extent=extent) -> float:
            return sum(max(0.0, min(b, extent[1] + 4) - max(a, extent[0] - 4)) for a, b in taken[line])

        line = min(range(LABEL_LINES), key=lambda i: (overlap(i) > 0, overlap(i), i))
        taken[line].append(extent)
        placed.append({**m, "line": line, "right": right})
    return placed


def speaker_lanes(segments: list[dict], domain: tuple[str, str], width: int = WIDTH) -> dict:
    """One lane per speaker and room: on stage (bar), mic on or off (colour), gaps where they left and
    came back, a tick where they left."""
    rows = [{**s, "lane": f"{s['space_id']} · {s['user_id']} ({s['role']})"} for s in segments]
    lanes = list(dict.fromkeys(r["lane"] for r in rows))
    label, plot = _category_split(width)
    y = alt.Y("lane:N", title=None, sort=lanes, axis=alt.Axis(labelLimit=label))
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(height=12, clip=True)
        .encode(
            x=_x("start", domain, "UTC"),
            x2="end:T",
            y=y,
            color=alt.Color(
                "mic:N",
                title="on stage",
                scale=alt.Scale(domain=list(MIC_COLORS), range=list(MIC_COLORS.values())),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                "space_id:N",
                "user_id:N",
                "role:N",
                "mic:N",
                when("start", "from (UTC)"),
                when("end", "to (UTC)"),
            ],
        )
    )
    left = (
        alt.Chart(alt.Data(values=[r for r in rows if r["ends_with_leave"]]))
        .mark_tick(color="#b3261e", thickness=2, size=16, clip=True)
        .encode(x=_x("end", domain), y=y, tooltip=["user_id:N", when("end", "left at (UTC)")])
    )
    return _spec(alt.layer(bars, left).properties(width=plot, height=20 * max(len(lanes), 1)))


def funnel(steps: list[dict], width: int = WIDTH) -> dict:
    """The audience migration: each step a subset of the one before (the query's contract), its share of
    the failed room's listeners as the label."""
    label, plot = _category_split(width)
    chart = (
        alt.Chart(alt.Data(values=steps))
        .mark_bar(color="#4c78a8")
        .encode(
            y=alt.Y("step:N", sort=None, title=None, axis=alt.Axis(labelLimit=label)),
            x=alt.X("listeners:Q", title="listeners"),
            tooltip=["step:N", alt.Tooltip("listeners:Q", format=","), alt.Tooltip("share_of_start:Q", format=".1%")],
        )
    )
    text = chart.mark_text(align="left", dx=4).encode(text=alt.Text("share_of_start:Q", format=".0%"))
    return _spec(
        (chart + text).properties(
            width=plot, height=30 * max(len(steps), 1), title="Where the failed room's listeners went"
        )
    )


def errors_by_service(rows: list[dict], width: int = WIDTH) -> dict:
    label, plot = _category_split(width)
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=label)),
            x=alt.X("records:Q", title="error- and fatal-level records"),
            color=alt.Color(
                "level:N",
                scale=alt.Scale(domain=["error", "fatal"], range=["#f58518", "#b30000"]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=["service:N", "code:N", "level:N", "records:Q", "servers:Q", "sample_message:N"],
        )
    )
    return _spec(chart.properties(width=plot, height=22 * max(len(rows), 1), title="Errors by service and code"))


def glitches_over_time(rows: list[dict], domain: tuple[str, str], rooms: list[str], width: int = WIDTH) -> dict:
    """Stacked reports per minute by kind, one panel per room. Rows are zero-filled over each room's minutes,
    drawn as steps: nothing is interpolated between reports, and a room draws nothing where it did not exist."""
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_area(interpolate="step-after")
        .encode(
            x=_x("minute", domain, "UTC"),
            y=alt.Y("reports:Q", stack="zero", title="reports per minute"),
            color=alt.Color("glitch:N", title="glitch", legend=alt.Legend(orient="top")),
            row=alt.Row("room:N", title=None, sort=rooms),
            tooltip=["room:N", "glitch:N", when("minute", "minute (UTC)", seconds=False), "reports:Q", "users:Q"],
        )
    )
    return _spec(
        chart.properties(
            width=width - 80 if width > NARROW else width - 50, height=120, title="Glitch reports by kind"
        ).resolve_scale(y="independent")
    )


def blast_radius(rows: list[dict], width: int = WIDTH) -> dict:
    """Per dimension: users present while degraded (grey) and those of them who reported a glitch (red),
    with the share as text. The section heading names the chart, so it has no title of its own."""
    label, plot = _category_split(width)
    panels = []
    for dimension in dict.fromkeys(r["dimension"] for r in rows):
        subset = [r for r in rows if r["dimension"] == dimension]
        base = alt.Chart(alt.Data(values=subset)).encode(
            y=alt.Y(
                "value:N",
                sort=[r["value"] for r in sorted(subset, key=lambda r: -r["users_present"])],
                title=dimension,
                axis=alt.Axis(labelLimit=min(label, 200)),
            ),
            tooltip=[
                "dimension:N",
                "value:N",
                alt.Tooltip("users_present:Q", format=","),
                alt.Tooltip("users_reporting:Q", format=","),
                alt.Tooltip("share_reporting:Q", format=".1%"),
            ],
        )
        present = base.mark_bar(color="#ced4da").encode(
            x=alt.X("users_present:Q", title="users present while degraded")
        )
        reporting = base.mark_bar(color="#c92a2a", height={"band": 0.5}).encode(x="users_reporting:Q")
        share = base.mark_text(align="left", dx=4, fontSize=10, color="#333").encode(
            x="users_present:Q", text=alt.Text("share_reporting:Q", format=".0%")
        )
        panels.append(alt.layer(present, reporting, share).properties(width=min(plot, 440), height=18 * len(subset)))
    return _spec(alt.vconcat(*panels))


def contributing_factors(rows: list[dict], width: int = WIDTH) -> dict:
    """Each value's share of records before (grey) and during (red) the degraded window; the gap between
    them is the over-representation. Values new in the window start at zero."""
    long = [
        {**r, "period": period, "share": r[key] or 0.0}
        for r in rows
        for period, key in (("baseline", "baseline_share"), ("degraded window", "window_share"))
    ]
    label, plot = _category_split(width)
    y = alt.Y("label:N", sort=[r["label"] for r in rows], title=None, axis=alt.Axis(labelLimit=label))
    tooltip = [
        "source:N",
        "dimension:N",
        "value:N",
        alt.Tooltip("window_records:Q", format=","),
        alt.Tooltip("baseline_records:Q", format=","),
        alt.Tooltip("window_share:Q", format=".1%"),
        alt.Tooltip("baseline_share:Q", format=".1%"),
        "lift:Q",
    ]
    rule = (
        alt.Chart(alt.Data(values=rows))
        .mark_rule(color="#868e96")
        .encode(y=y, x=alt.X("baseline_share:Q"), x2="window_share:Q", tooltip=tooltip)
    )
    dots = (
        alt.Chart(alt.Data(values=long))
        .mark_circle(size=80, opacity=1)
        .encode(
            y=y,
            x=alt.X("share:Q", title="share of the dimension's records", axis=alt.Axis(format="%")),
            color=alt.Color(
                "period:N",
                title=None,
                scale=alt.Scale(domain=["baseline", "degraded window"], range=["#868e96", "#c92a2a"]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=tooltip,
        )
    )
    return _spec(alt.layer(rule, dots).properties(width=min(plot, 460), height=24 * max(len(rows), 1)))


def reconnect_storm(rows: list[dict], domain: tuple[str, str], width: int = WIDTH) -> dict:
    """Rejoins per minute; the users rejoining three or more times a minute get a line on a second axis
    only when there are any (an axis that is always 0 reads as a level halfway up)."""
    heavy_any = any(r["users_with_3_plus_rejoins"] for r in rows)
    tooltip = [when("minute", "minute (UTC)", seconds=False), "rejoins:Q", "rejoining_users:Q"]
    if heavy_any:
        tooltip.append("users_with_3_plus_rejoins:Q")
    bars = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color="#9467bd")
        .encode(
            x=_minutes_x("minute", domain, "UTC"),
            y=alt.Y("rejoins:Q", title="rejoins per minute"),
            tooltip=tooltip,
        )
    )
    layers = [bars]
    if heavy_any:
        layers.append(
            alt.Chart(alt.Data(values=rows))
            .mark_line(color="#333", strokeDash=[4, 2], interpolate="step-after")
            .encode(
                x=_x("minute", domain),
                y=alt.Y("users_with_3_plus_rejoins:Q", title="users with 3+ rejoins"),
                tooltip=tooltip,
            )
        )
    chart = alt.layer(*layers).resolve_scale(y="independent") if heavy_any else bars
    return _spec(chart.properties(width=_plot(width), height=140, title="Reconnect storm in the failed room"))


def error_rate(
    rows: list[dict], domain: tuple[str, str], burst: dict | None, bucket_seconds: int, width: int = WIDTH
) -> dict:
    """Error-log records per bucket (a minute, or longer over a long log: see error_rate.sql) by service,
    one panel per level (fatal, error, warn), with the error burst shaded: the error-centred view when no room
    logs are loaded."""
    per = BUCKET_NAMES.get(bucket_seconds, f"{bucket_seconds} s")
    levels = [lvl for lvl in ("fatal", "error", "warn") if any(r["level"] == lvl for r in rows)]
    panels = []
    for level in levels:
        layers = []
        if burst:
            layers.append(
                alt.Chart(alt.Data(values=[burst]))
                .mark_rect(color="#fdd49e", opacity=0.5)
                .encode(
                    x=_x("start", domain),
                    x2="end:T",
                    tooltip=[when("start", "burst from (UTC)"), when("end", "to (UTC)")],
                )
            )
        layers.append(
            alt.Chart(alt.Data(values=[r for r in rows if r["level"] == level]))
            .mark_bar()
            .encode(
                x=_x("bucket", domain, "UTC"),
                x2="bucket_end:T",
                y=alt.Y("sum(records):Q", stack="zero", title=f"{level} records"),
                color=alt.Color("service:N", title="service", legend=alt.Legend(orient="top", columns=3)),
                tooltip=[
                    "service:N",
                    "level:N",
                    when("bucket", "from (UTC)", seconds=False),
                    when("bucket_end", "to (UTC)", seconds=False),
                    "sum(records):Q",
                ],
            )
        )
        panels.append(
            alt.layer(*layers).properties(
                width=_plot(width), height=110, title=f"{level.capitalize()}-level records per {per}"
            )
        )
    return _spec(alt.vconcat(*panels).resolve_scale(x="shared"))


def audio_quality(rows: list[dict], domain: tuple[str, str], width: int = WIDTH) -> dict:
    """What the listeners' clients measured, per minute on the UTC axis: the band between the 10th and 50th
    percentile listener's MOS (above), and the poor and silent listener-minutes (below; silent ones are poor
    too, so the silent bar stands inside the poor one)."""
    base = alt.Chart(alt.Data(values=rows))
    tips = [when("minute", "minute (UTC)", seconds=False), "listeners:Q", "p10:Q", "p50:Q", "poor:Q", "silent:Q"]
    band = base.mark_area(opacity=0.35, color="#4c78a8", interpolate="step-after").encode(
        x=_minutes_x("minute", domain, None),
        y=alt.Y("p10:Q", title="MOS (p10 to p50)", scale=alt.Scale(domain=[1, 4.5])),
        y2="p50:Q",
        tooltip=tips,
    )
    median = base.mark_line(color="#4c78a8", interpolate="step-after").encode(
        x=_minutes_x("minute", domain, None), y="p50:Q", tooltip=tips
    )
    poor = base.mark_bar(color="#f59f00").encode(
        x=_minutes_x("minute", domain, "UTC"), y=alt.Y("poor:Q", title="listener-minutes"), tooltip=tips
    )
    silent = base.mark_bar(color="#495057").encode(x=_minutes_x("minute", domain, "UTC"), y="silent:Q", tooltip=tips)
    top = (band + median).properties(width=_plot(width), height=160)
    bottom = (poor + silent).properties(width=_plot(width), height=100)
    return _spec(
        alt.vconcat(top, bottom).properties(
            title="Listener audio (measured): MOS band; poor (orange) and silent (grey) listener-minutes"
        )
    )
