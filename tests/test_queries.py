"""Each definition on a tiny hand-written log, with the expected answer worked out by hand."""

import json
from dataclasses import asdict
from datetime import UTC, datetime

import polars as pl
import pytest
from conftest import write_lines
from hypothesis import example, given, settings
from hypothesis import strategies as st

from postmortem import db, queries
from postmortem.errors import QueryError
from postmortem.ingest import ingest
from postmortem.metrics.changes import MetricDetection
from postmortem.summary import Detection, build_summary, to_json_ready


def t(hhmmss: str) -> datetime:
    return datetime.fromisoformat(f"2024-05-01T{hhmmss}+00:00").astimezone(UTC)


def ev(ts, space, user, event, role="listener"):
    return {
        "ts": f"2024-05-01T{ts}Z",
        "space_id": space,
        "user_id": user,
        "event": event,
        "role": role,
    }


# Room A: presence edge cases.  Room B: no start/end events, host known only by role.
PRESENCE_LOG = [
    ev("10:00:00", "A", "h", "start", "host"),
    ev("10:00:00", "A", "h", "join", "host"),
    ev("10:01:00", "A", "u1", "join"),
    ev("10:02:00", "A", "u2", "join"),
    ev("10:02:30", "A", "u1", "join"),  # reconnect without a leave: a rejoin, changes nothing
    ev("10:03:00", "A", "u3", "leave"),  # leave while out: an orphan, ignored
    ev("10:04:00", "A", "u4", "join"),  # equal timestamps: u2's leave applies first
    ev("10:04:00", "A", "u2", "leave"),
    ev("10:04:00", "A", "u5", "join", "speaker"),
    ev("10:05:00", "A", "u2", "join"),
    ev("10:06:00", "A", "u1", "leave"),
    ev("10:07:10", "A", "u6", "join"),  # two sessions inside one minute: one user in that minute
    ev("10:07:20", "A", "u6", "leave"),
    ev("10:07:40", "A", "u6", "join"),
    ev("10:10:00", "A", "h", "end", "host"),  # everyone still in leaves here
    ev("10:11:00", "A", "u9", "join"),  # after the end: not presence
    ev("10:20:00", "B", "x", "join"),
    ev("10:21:00", "B", "y", "join", "host"),
    ev("10:22:00", "B", "x", "leave"),
    ev("10:25:00", "B", "y", "leave", "host"),
]


@pytest.fixture
def presence(con, tmp_path):
    ingest(con, [write_lines(tmp_path / "join.jsonl", PRESENCE_LOG)])
    return con


def test_every_query_file_loads_with_a_header_and_runs(sample_db):
    params = {
        "from_space": "sp-main",
        "to_space": "sp-rescue",
        "space_id": "sp-main",
        "start": t("00:00:00"),
        "end": datetime(2030, 1, 1, tzinfo=UTC),
        "degraded_at": datetime(2026, 3, 14, 21, 12, tzinfo=UTC),
        "baseline_start": datetime(2026, 3, 14, 21, tzinfo=UTC),
        "window_end": datetime(2026, 3, 14, 21, 21, tzinfo=UTC),
        "lead_minutes": 10,
        "limit": 10,
        "factor": 5,
        "floor_share": 0.05,
        "baseline_minutes": 10,
        "sustain_minutes": 2,
        "min_reporters": 5,
        "window_minutes": 60,
        "threshold": 0.05,
        "min_records": 10,
        "min_lift": 1.5,
        "factor_lead_minutes": 3,
        "min_errors": 5,
        **{f"metric_{k}": v for k, v in asdict(MetricDetection()).items()},
        "onset": datetime(2026, 3, 14, 21, 12, tzinfo=UTC),
        "glitch_space": "sp-main",
    }
    names = queries.names()
    assert len(names) >= 20
    with db.connect(sample_db, read_only=True) as con:
        for name in names:
            assert queries.describe(name), f"{name}.sql has no header comment"
            assert "order by" in queries.load(name).lower(), f"{name}.sql has no order by"
            frame = queries.run(con, name, **params)
            # the sample logs hold no metrics export: tests/test_metrics.py runs the metric queries on one
            assert frame.height > 0 or name.startswith("metric_"), name


def test_missing_and_unknown_parameters_are_named(con):
    with pytest.raises(QueryError, match=r"needs parameter\(s\): \$from_space, \$window_minutes"):
        queries.run(con, "switchover")
    with pytest.raises(QueryError, match="unknown query 'nope'"):
        queries.run(con, "nope")
    # Extra keys are not passed on (DuckDB would reject them).
    assert queries.run(con, "spaces", unused=1).height == 0


def test_parameters_ignore_comments_and_strings():
    assert queries.parameters("select $a, '$b' -- $c\n, \"$d\", $a, $e_2") == ["a", "e_2"]


def test_spaces_bounds_host_peak_and_audience(presence):
    rows = {r["space_id"]: r for r in queries.run(presence, "spaces").to_dicts()}
    a, b = rows["A"], rows["B"]
    assert (a["started_at"], a["ended_at"], a["host"]) == (t("10:00:00"), t("10:10:00"), "h")
    # 10:04 is 3 - u2 + u4 + u5 = 4 (leaves first; joins first would have shown 5 too early);
    # 10:05 u2 returns: h, u1, u2, u4, u5 = 5, first reached then (u6 at 10:07:10 only matches it after u1 left).
    assert (a["peak_concurrent"], a["peak_at"]) == (5, t("10:05:00"))
    assert (a["unique_users"], a["unique_listeners"]) == (
        7,
        5,
    )  # h u1 u2 u4 u5 u6 u9; listeners u1 u2 u4 u6 u9
    assert (a["rejoins"], a["orphan_leaves"]) == (1, 1)
    # B: no start/end: first and last events; host by role.
    assert (b["started_at"], b["ended_at"], b["host"]) == (t("10:20:00"), t("10:25:00"), "y")
    assert (b["peak_concurrent"], b["peak_at"]) == (2, t("10:21:00"))
    assert (b["unique_users"], b["unique_listeners"]) == (2, 1)


def test_sessions_close_at_the_end_and_ignore_joins_after_it(presence):
    got = presence.sql(
        "select user_id, joined_at, left_at, closed_by_end from sessions where space_id = 'A'"
        " order by user_id, joined_at"
    ).fetchall()
    assert got == [
        ("h", t("10:00:00"), t("10:10:00"), True),
        ("u1", t("10:01:00"), t("10:06:00"), False),
        ("u2", t("10:02:00"), t("10:04:00"), False),
        ("u2", t("10:05:00"), t("10:10:00"), True),
        ("u4", t("10:04:00"), t("10:10:00"), True),
        ("u5", t("10:04:00"), t("10:10:00"), True),
        ("u6", t("10:07:10"), t("10:07:20"), False),
        ("u6", t("10:07:40"), t("10:10:00"), True),
    ]


def test_present_users_per_minute(presence):
    frame = queries.run(presence, "timeline", from_space="A", to_space=None)
    # A minute counts users present at any moment in it. u2 left at 10:04:00 sharp (absent from 10:04);
    # u1 left at 10:06:00 sharp; u6 has two sessions in 10:07 but is one user; at 10:10 the room is over.
    assert frame["present_users"].to_list() == [1, 2, 3, 3, 4, 5, 4, 5, 5, 5, 0]
    assert frame.filter(pl.col("minute") == t("10:02:00"))["rejoins"].to_list() == [1]
    assert frame.filter(pl.col("minute") == t("10:03:00"))["orphan_leaves"].to_list() == [1]


# --- switch-over -----------------------------------------------------------------------------------------

SWITCH_LOG = [
    ev("10:30:00", "EARLY", "s1", "start", "host"),  # shares s1 but started before F: not a switch-over
    ev("11:00:00", "F", "hf", "start", "host"),
    ev("11:00:05", "F", "s1", "join", "speaker"),
    ev("11:01:00", "F", "l1", "join"),
    ev("11:01:00", "F", "l2", "join"),
    ev("11:02:00", "F", "l3", "join"),
    ev("11:03:00", "F", "s2", "join", "cohost"),
    ev("11:20:00", "F", "hf", "end", "host"),
    ev("11:21:00", "D", "hd", "start", "host"),  # the decoy: right after F, shares only a listener
    ev("11:21:30", "D", "l1", "join"),
    ev("11:25:00", "T", "ht", "start", "host"),
    ev("11:24:59", "T", "l2", "join"),  # before T started: does not count as following
    ev("11:26:00", "T", "s1", "join", "speaker"),
    ev("11:26:30", "T", "s2", "join", "speaker"),
    ev("11:27:00", "T", "l1", "join"),
    ev("11:40:00", "T", "l3", "join"),
    ev("11:41:00", "T", "l3", "join"),  # a second join of the same listener counts once
    ev("12:30:00", "LATE", "s1", "start", "host"),  # shares s1 but more than 60 min after F ended
]


@pytest.fixture
def switch(con, tmp_path):
    ingest(con, [write_lines(tmp_path / "join.jsonl", SWITCH_LOG)])
    return con


def test_switchover_skips_the_decoy_and_counts_followers(switch):
    (row,) = queries.run(switch, "switchover", from_space="F", window_minutes=60).to_dicts()
    assert row == {
        "from_space": "F",
        "to_space": "T",
        "from_host": "hf",
        "to_host": "ht",
        "from_ended_at": t("11:20:00"),
        "to_started_at": t("11:25:00"),
        "gap_seconds": 300.0,  # 11:25:00 - 11:20:00
        "speakers_moved": ["s1", "s2"],  # a role change (cohost -> speaker) still counts
        "listeners_followed": 2,  # l1 and l3; l2 joined T before it started
        "from_unique_listeners": 3,
        "follow_rate": 0.6667,  # 2 / 3, 4 decimals
        "listeners_at_end": 3,  # l1, l2 and l3 were all still in F at 11:20
        "followed_of_at_end": 2,
        "follow_rate_of_at_end": 0.6667,  # 2 / 3
    }


def test_no_switchover_when_only_the_decoy_is_in_the_window(switch):
    assert queries.run(switch, "switchover", from_space="F", window_minutes=4).height == 0


def test_funnel_counts_listeners_at_each_step(switch):
    frame = queries.run(switch, "funnel", from_space="F", to_space="T")
    # Measured from T's start (11:25), not F's end: 3 listeners; l1 (11:27) and l3 (11:40) followed, both
    # within 15 min, l1 within 5; l2 joined T at 11:24:59, before it started, so never counts (as for follow_rate).
    assert frame["listeners"].to_list() == [3, 2, 2, 1]
    assert frame["step"].to_list()[1] == "followed to the replacement"


# --- degradation, phases, detection ------------------------------------------------------------------------


def _glitches(minute: str, users: range, kind="screech"):
    return [{"ts": f"2024-05-01T12:{minute}:30Z", "space_id": "G", "user_id": f"g{i}", "glitch": kind} for i in users]


@pytest.fixture
def degraded(con, tmp_path):
    joins = [ev("12:00:00", "G", "gh", "start", "host"), ev("12:00:00", "G", "gh", "join", "host")]
    joins += [ev("12:00:00", "G", f"g{i}", "join") for i in range(10)]
    joins += [ev("12:15:00", "G", "gh", "end", "host")]
    glitches = (
        _glitches("03", range(1))  # baseline noise: median share over 12:00-12:09 stays 0
        + _glitches("05", range(6))  # a one-minute spike: not sustained
        + _glitches("10", range(6))
        + _glitches("11", range(6))
        + _glitches("12", range(6), "silence")  # mostly silence: down from here
    )
    errors = [
        {
            "ts": "2024-05-01T11:50:00Z",
            "service": "relay",
            "level": "error",
            "message": "old",
            "space_id": "G",
        },
        {
            "ts": "2024-05-01T12:09:30Z",
            "service": "relay",
            "level": "error",
            "message": "lead",
            "space_id": "G",
        },
        {
            "ts": "2024-05-01T12:10:10Z",
            "service": "fanout",
            "level": "fatal",
            "message": "late",
            "space_id": "G",
        },
    ]
    ingest(
        con,
        [
            write_lines(tmp_path / "join.jsonl", joins),
            write_lines(tmp_path / "glitch.jsonl", glitches),
            write_lines(tmp_path / "error.jsonl", errors),
        ],
    )
    return con


def test_incident_is_the_sustained_degradation(degraded):
    (row,) = queries.run(
        degraded,
        "incident_ranking",
        factor=5,
        floor_share=0.05,
        baseline_minutes=10,
        sustain_minutes=2,
        min_reporters=5,
    ).to_dicts()
    # 11 present (host + 10); 6/11 = 0.545 >= max(5 x 0, 0.05) in 12:10, 12:11, 12:12: one 3-minute run.
    assert row == {
        "space_id": "G",
        "degraded_at": t("12:10:00"),
        "degraded_minutes": 3,
        "degraded_user_minutes": 18,
        "baseline_share": 0.0,
        "threshold": 0.05,
    }
    # With a 4-minute sustain rule nothing qualifies.
    assert (
        queries.run(
            degraded,
            "incident_ranking",
            factor=5,
            floor_share=0.05,
            baseline_minutes=10,
            sustain_minutes=4,
            min_reporters=5,
        ).height
        == 0
    )


def test_summary_phases_anchors_and_detection(degraded):
    summary = build_summary(degraded)
    incident = summary["incident"]
    assert [(p["phase"], p["start"], p["end"]) for p in incident["phases"]] == [
        ("healthy", t("12:00:00"), t("12:10:00")),
        ("degraded", t("12:10:00"), t("12:12:00")),
        ("down", t("12:12:00"), t("12:15:00")),  # no replacement: down until the room ended
    ]
    assert summary["switchover"] is None
    assert incident["detected"]["detected_at"] == t("12:09:30")  # errors led by 30 s; 11:50 is too early
    anchors = summary["anchors"]
    assert anchors["time_to_detect_s"] == -30.0
    assert anchors["mitigated"] is None and anchors["time_to_mitigate_s"] is None
    assert anchors["impact_duration_s"] == 300.0  # 12:10 -> 12:15, never resolved
    assert summary["errors"] == {
        "total": 3,
        "by_service": {"fanout": 1, "relay": 2},
        "services": 2,
        "without_severity": 0,  # every record here says its level
    }
    assert summary["glitches"] == {"total": 25, "by_kind": {"screech": 19, "silence": 6}}


def test_space_override_and_unknown_space(degraded):
    from postmortem.errors import InputError

    with pytest.raises(InputError, match="no room 'nope'"):
        build_summary(degraded, space="nope")


def test_summary_json_on_sample_logs_matches_the_simulation(sample_db, truth):
    with db.connect(sample_db, read_only=True) as con:
        summary = to_json_ready(build_summary(con, detection=Detection()))
    assert summary["incident"]["space_id"] == truth["incident_space"]
    # Degradation is found within the first minute of the simulated onset.
    onset = datetime.fromisoformat(truth["onset"])
    degraded_at = datetime.fromisoformat(summary["incident"]["degraded_at"])
    assert 0 <= (degraded_at - onset).total_seconds() < 60
    s = summary["switchover"]
    assert s["to_space"] == truth["replacement_space"] != truth["decoy_space"]
    assert s["gap_seconds"] == truth["gap_seconds"]
    assert s["speakers_moved"] == truth["speakers_moved"]
    assert s["listeners_followed"] == truth["listeners_followed"]
    assert s["follow_rate"] == round(truth["listeners_followed"] / truth["from_unique_listeners"], 4)
    assert summary["data_quality"]["rejected"] == truth["planted_rejects"]
    assert summary["data_quality"]["duplicates"] == truth["planted_duplicates"]
    stable = {
        "space_id",
        "host",
        "started_at",
        "ended_at",
        "peak_concurrent",
        "peak_at",
        "unique_users",
        "unique_listeners",
    }
    assert all(stable <= set(space) for space in summary["spaces"])
    json.dumps(summary)  # serialisable as is


# --- presence and peak against a plain-Python reference ------------------------------------------------------


def reference_sessions(events):
    """events: (ts_seconds, user, event). The room's bounds and its presence intervals (user, from, to), written
    as a loop."""
    starts = [e[0] for e in events if e[2] == "start"]
    ends = [e[0] for e in events if e[2] == "end"]
    started = min(starts) if starts else min(e[0] for e in events)
    ended = min(ends) if ends else max(e[0] for e in events)
    intervals, state, since = [], {}, {}
    for ts, user, event in sorted(events, key=lambda e: (e[0], e[2] == "join")):
        if event == "join" and not state.get(user):
            state[user], since[user] = True, ts
        elif event == "leave" and state.get(user):
            state[user] = False
            intervals.append((user, since[user], min(ts, ended)))
    intervals += [(u, since[u], ended) for u, inside in state.items() if inside]
    return started, ended, [(u, a, b) for u, a, b in intervals if b > a]


def reference_presence(events):
    """events: (ts_seconds, user, event). The definitions, written as a loop."""
    started, ended, intervals = reference_sessions(events)
    points = sorted([(a, 1) for _, a, _ in intervals] + [(b, -1) for _, _, b in intervals])
    peak, peak_at, present = 0, None, 0
    for ts, delta in points:
        present += delta
        if present > peak:
            peak, peak_at = present, ts
    return started, ended, peak, peak_at


event_stream = st.lists(
    st.tuples(
        st.integers(0, 30),
        st.sampled_from(["a", "b", "c", "d"]),
        st.sampled_from(["join", "join", "leave", "leave", "start", "end", "mic_on"]),
    ),
    min_size=1,
    max_size=40,
)


@pytest.fixture(scope="module")
def events_con():
    """One in-memory database for the generated examples (opening one with the schema costs about 0.27 s, more
    than an example's query): each example replaces its join events (insert_events)."""
    with db.connect(":memory:") as connection:
        yield connection


def insert_events(con, base: int, events) -> None:
    """(second, user, event) tuples as join events of room R, `base` seconds after the epoch, in place of any
    there were."""
    con.execute("delete from join_events")
    frame = pl.DataFrame(
        {
            "ts": [datetime.fromtimestamp(base + s, UTC) for s, _, _ in events],
            "space_id": ["R"] * len(events),
            "user_id": [u for _, u, _ in events],
            "event": [e for _, _, e in events],
            "role": ["listener"] * len(events),
        },
    )
    con.register("generated", frame)
    con.execute(
        "insert into join_events (ts, space_id, user_id, event, role) select ts, space_id, user_id, event, role"
        " from generated"
    )


@settings(max_examples=150, deadline=None)
@given(events=event_stream)
def test_presence_and_peak_match_the_reference(events_con, events):
    base = int(datetime(2024, 5, 1, tzinfo=UTC).timestamp())
    insert_events(events_con, base, events)
    (row,) = queries.run(events_con, "spaces").to_dicts()
    started, ended, peak, peak_at = reference_presence(events)
    assert row["started_at"].timestamp() - base == started
    assert row["ended_at"].timestamp() - base == ended
    assert row["peak_concurrent"] == peak
    assert (None if row["peak_at"] is None else row["peak_at"].timestamp() - base) == peak_at


# Over several minutes, on and off minute boundaries: the peak found from per-minute bounds and the users
# present in each minute (at any moment of it) against the same loop.
spread_stream = st.lists(
    st.tuples(
        st.integers(0, 48).map(lambda n: n * 15),
        st.sampled_from(["a", "b", "c", "d", "e"]),
        st.sampled_from(["join", "join", "join", "leave", "leave", "start", "end"]),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=150, deadline=None)
@given(events=spread_stream)
# a leave on the minute and a return within it: one user in that minute, the first session absent from it
@example(events=[(0, "a", "join"), (60, "a", "leave"), (75, "a", "join"), (150, "a", "leave"), (180, "b", "join")])
# a leave and a return inside one minute, with an orphan leave between: still one user
@example(events=[(0, "a", "join"), (70, "a", "leave"), (80, "a", "leave"), (90, "a", "join"), (200, "b", "join")])
def test_peak_and_minutes_over_several_minutes_match_the_reference(events_con, events):
    base = int(datetime(2024, 5, 1, tzinfo=UTC).timestamp())
    insert_events(events_con, base, events)
    (row,) = queries.run(events_con, "spaces").to_dicts()
    minutes = queries.run(events_con, "timeline", from_space="R", to_space=None).to_dicts()
    _, _, peak, peak_at = reference_presence(events)
    assert row["peak_concurrent"] == peak
    assert (None if row["peak_at"] is None else row["peak_at"].timestamp() - base) == peak_at
    _, _, intervals = reference_sessions(events)
    for m in minutes:
        start = m["minute"].timestamp() - base
        users = {u for u, a, b in intervals if a < start + 60 and b > start}
        assert m["present_users"] == len(users), m["minute"]


# --- contributing factors, speakers, error bursts, zero-filled minutes ----------------------------------------


def _glitch(ts, user, edge):
    return {"ts": f"2024-05-01T{ts}Z", "space_id": "F", "user_id": user, "glitch": "screech", "edge": edge}


@pytest.fixture
def factors(con, tmp_path):
    joins = [ev("10:00:00", "F", "h", "start", "host"), ev("10:30:00", "F", "h", "end", "host")]
    baseline = [("a", 18), ("b", 2)]  # before 10:10
    window = [("a", 12), ("b", 30), ("c", 10), ("d", 9)]  # from 10:10
    glitches = [_glitch(f"10:05:{i:02d}", f"{edge}{i}", edge) for edge, n in baseline for i in range(n)]
    glitches += [_glitch(f"10:15:{i:02d}", f"{edge}{i}", edge) for edge, n in window for i in range(n)]
    ingest(con, [write_lines(tmp_path / "join.jsonl", joins), write_lines(tmp_path / "glitch.jsonl", glitches)])
    return con


def test_contributing_factors_keep_over_represented_values_with_support(factors):
    rows = queries.run(
        factors,
        "contributing_factors",
        space_id="F",
        baseline_start=t("10:00:00"),
        degraded_at=t("10:10:00"),
        factor_lead_minutes=3,
        window_end=t("10:30:00"),
        min_records=10,
        min_lift=1.5,
    ).to_dicts()
    # Window: a 12, b 30, c 10, d 9 of 61; baseline: a 18, b 2 of 20.
    # c: none before while the edge had 20 records: new, no lift. b: (30/61) / (2/20) = 4.92.
    # a: (12/61) / (18/20) = 0.22, under-represented: left out. d: new but 9 < 10 records: left out.
    assert [(r["value"], r["new_in_window"], r["lift"], r["window_records"], r["baseline_records"]) for r in rows] == [
        ("c", True, None, 10, 0),
        ("b", False, 4.92, 30, 2),
    ]


def test_speakers_segments_follow_mic_and_presence(con, tmp_path):
    log = [
        ev("10:00:00", "S", "h", "start", "host"),
        ev("10:01:00", "S", "s1", "join", "speaker"),
        ev("10:02:00", "S", "s1", "mic_on", "speaker"),
        ev("10:03:00", "S", "s1", "mic_off", "speaker"),
        ev("10:04:00", "S", "s1", "leave", "speaker"),
        ev("10:05:00", "S", "s1", "join", "speaker"),  # back, mic off until a mic_on
        ev("10:06:00", "S", "l1", "join"),  # listeners are not on stage
        ev("10:10:00", "S", "h", "end", "host"),
    ]
    ingest(con, [write_lines(tmp_path / "join.jsonl", log)])
    rows = queries.run(con, "speakers", from_space="S", to_space=None).to_dicts()
    got = [(r["user_id"], r["start"], r["end"], r["mic"], r["ends_with_leave"]) for r in rows]
    assert got == [
        ("h", t("10:00:00"), t("10:10:00"), "mic off", False),
        ("s1", t("10:01:00"), t("10:02:00"), "mic off", False),
        ("s1", t("10:02:00"), t("10:03:00"), "mic on", False),
        ("s1", t("10:03:00"), t("10:04:00"), "mic off", True),  # then left: a gap until 10:05
        ("s1", t("10:05:00"), t("10:10:00"), "mic off", False),  # on stage until the room ended
    ]


def test_error_burst_is_a_sustained_run_above_the_baseline(con, tmp_path):
    def errors(minute, n):
        return [
            {"ts": f"2024-05-01T10:{minute}:{i:02d}Z", "service": "relay", "level": "error", "message": f"m{i}"}
            for i in range(n)
        ]

    log = errors("00", 2) + errors("20", 6) + errors("21", 5) + errors("22", 4) + errors("40", 9)
    ingest(con, [write_lines(tmp_path / "error.jsonl", log)])
    rows = queries.run(con, "error_burst", factor=5, min_errors=5, baseline_minutes=10, sustain_minutes=2).to_dicts()
    # Baseline 2 errors / 10 min = 0.2 a minute; threshold max(5 x 0.2, 5) = 5. 10:20 (6) and 10:21 (5) qualify,
    # 10:22 (4) does not; 10:40 (9) is one minute, not sustained.
    assert rows == [
        {
            "start": t("10:20:00"),
            "end": t("10:22:00"),
            "minutes": 2,
            "errors": 11,
            "peak_per_minute": 6,
            "baseline_per_minute": 0.2,
            "threshold": 5.0,
        }
    ]


def test_glitches_per_minute_are_zero_filled_over_the_room(degraded):
    rows = queries.run(degraded, "glitches_per_minute", from_space="G", to_space=None).to_dicts()
    screech = [(r["minute"], r["reports"]) for r in rows if r["glitch"] == "screech"]
    # Room G: 12:00 to 12:15, 16 minutes; screech reports 1 at 12:03, 6 at 12:05, 12:10, 12:11, else 0.
    assert len(screech) == 16
    assert [n for _, n in screech] == [0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 6, 6, 0, 0, 0, 0]


def test_time_to_follow_is_from_leaving_the_failed_room_to_joining_the_replacement(switch):
    (row,) = queries.run(switch, "time_to_follow", from_space="F", to_space="T").to_dicts()
    # followers as in switchover: l1 and l3 (l2 joined T before it started). Neither left F, so both left at
    # its end, 11:20:00: l1 joined T at 11:27:00 (420 s), l3 at 11:40:00 (1,200 s; its second join is ignored).
    # median of [420, 1200] = 810; p90 interpolates: 420 + 0.9 x (1200 - 420) = 1122
    assert row == {"followers": 2, "median_s": 810.0, "p90_s": 1122.0, "min_s": 420.0, "max_s": 1200.0}


def test_mic_toggles_count_each_speakers_mic_events(con, tmp_path):
    log = [
        ev("10:00:00", "S", "h", "start", "host"),
        ev("10:01:00", "S", "s1", "join", "speaker"),
        ev("10:02:00", "S", "s1", "mic_on", "speaker"),
        ev("10:03:00", "S", "s1", "mic_off", "speaker"),
        ev("10:04:00", "S", "s1", "leave", "speaker"),
        ev("10:05:00", "S", "s1", "join", "speaker"),
        ev("10:06:00", "S", "s1", "mic_on", "speaker"),
        ev("10:06:00", "S", "l1", "join"),
        ev("10:07:00", "S", "l1", "mic_on"),  # a listener is not on stage: not counted
        ev("10:08:00", "O", "s1", "mic_on", "speaker"),  # another room
        ev("10:10:00", "S", "h", "end", "host"),
    ]
    ingest(con, [write_lines(tmp_path / "join.jsonl", log)])
    rows = queries.run(con, "mic_toggles", from_space="S", to_space=None).to_dicts()
    assert [(r["user_id"], r["role"], r["mic_on"], r["mic_off"], r["toggles"]) for r in rows] == [
        ("s1", "speaker", 2, 1, 3),  # on 10:02, off 10:03, on 10:06
        ("h", "host", 0, 0, 0),  # never toggled: listed with zeros
    ]
    assert (rows[0]["first_toggle"], rows[0]["last_toggle"]) == (t("10:02:00"), t("10:06:00"))
    assert rows[1]["first_toggle"] is None


class RecordingEngine:
    """The Engine protocol (queries.Engine) and nothing more, over a DuckDB connection, noting what it is asked:
    the stages above a connection must ask the engine what it can do, never look at its type."""

    name = "recording"

    def __init__(self, con):
        self.con, self.asked = con, []

    def frame(self, name, sql, params):
        self.asked.append(name)
        return self.con.sql(sql, params=params or None).pl()

    def execute_script(self, name):
        self.asked.append(name)
        self.con.execute(queries.load(name))

    def cache_derived(self):
        self.asked.append("cache_derived")
        db.cache_derived(self.con)

    def interruptible(self, work, *, timeout=None):
        self.asked.append("interruptible")
        return work()

    def holds(self, presence):
        self.asked.append(presence)
        return False


def test_the_report_asks_the_engine_not_the_connection_type(sample_db):
    """Any object with the protocol's five methods runs detection and the facts, and gets the same facts as
    DuckDB's own connection: no stage checks `isinstance(con, duckdb.DuckDBPyConnection)`."""
    from postmortem import commands

    with db.connect(sample_db, read_only=True) as con:
        expected = to_json_ready(commands._detect(con, None, Detection(), evidence=False))
        recording = RecordingEngine(con)
        got = to_json_ready(commands._detect(recording, None, Detection(), evidence=False))
        assert queries.engine_of(con).name == "duckdb"
        assert queries.engine_of(recording) is recording
    assert got == expected
    assert recording.asked[:2] == ["interruptible", "cache_derived"]
    assert "metrics/present" in recording.asked  # asked, answered "no" by this engine: no metric series
    assert got["metrics"] == []
    assert "spaces" in recording.asked
