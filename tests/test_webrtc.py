"""WebRTC dumps (kind `webrtc`): real dumps load by content with counts checked against plain JSON parsing of
the files, the delta expansion and counter differences, the MOS formula, and the planted incidents of
`simulate --webrtc`."""

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from postmortem import summary
from postmortem.ingest import ingest

DUMPS = Path(__file__).parent / "data" / "webrtc"
REAL = ["chrome-relay", "firefox97-standard-stats-sfu", "chrome-standard-pc-failed", "gumonly.jsonl"]
INTERNALS = "internals-gumonly.json.gz"


def reference_counts(path: Path) -> dict:
    """An independent count of a dump: every non-blank line after an `RTCStatsDump` header is a JSON array
    [method, pc id, value, ..., time]; getstats is spelled 'getstats' (jitsi) or compressed to 'g' or 1 (file
    format 3); onconnectionstatechange to 25."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[:2] if lines[0] == "RTCStatsDump" else []
    events = [json.loads(line) for line in lines[len(header) :] if line.strip()]
    return {
        "lines": len(lines),
        "peer_connections": len({e[1] for e in events if e[1] is not None}),
        "stats_samples": sum(1 for e in events if e[0] in ("getstats", "g", 1)),
        "connection_failures": sum(
            1 for e in events if e[0] in ("onconnectionstatechange", 25) and e[2].strip('"') == "failed"
        ),
    }


def test_real_dumps_load_by_content_with_exact_counts(con, tmp_path):
    folder = tmp_path / "dumps"
    shutil.copytree(DUMPS, folder, ignore=shutil.ignore_patterns("LICENSE*", "README.md", INTERNALS))
    result = ingest(con, [folder])
    assert {f.path.name: (f.kind, f.format, f.status) for f in result.files} == {
        "chrome-relay": ("webrtc", "rtcstats-legacy", "loaded"),
        "firefox97-standard-stats-sfu": ("webrtc", "rtcstats-legacy", "loaded"),
        "chrome-standard-pc-failed": ("webrtc", "rtcstats-legacy", "loaded"),
        "gumonly.jsonl": ("webrtc", "rtcstats", "loaded"),
    }
    refs = {name: reference_counts(DUMPS / name) for name in REAL}
    for f in result.files:  # every line read is loaded (none blank or rejected in these files)
        assert (f.lines_read, f.loaded, f.rejected, f.blank) == (refs[f.path.name]["lines"],) * 2 + (0, 0)
    facts = summary.build_summary(con)["webrtc"]
    for key in ("peer_connections", "stats_samples", "connection_failures"):
        assert facts[key] == sum(r[key] for r in refs.values()), key
    # the reference: 1 + 1 + 3 + 0 peer connections, 13 + 8 + 19 + 0 samples, 3 failures (pc-failed's three)
    assert (facts["files"], facts["peer_connections"], facts["stats_samples"], facts["connection_failures"]) == (
        4,
        5,
        40,
        3,
    )


def test_a_real_webrtc_internals_export_is_recognised(con):
    (f,) = ingest(con, [DUMPS / INTERNALS]).files
    export = json.loads(gzip.decompress((DUMPS / INTERNALS).read_bytes()))
    assert (f.kind, f.format, f.status, f.rejected) == ("webrtc", "webrtc-internals", "loaded", 0)
    assert len(export["PeerConnections"]) == 0  # getUserMedia only: no connection, no sample
    assert con.sql("select count(*) from webrtc_connections").fetchall() == [(0,)]
    assert con.sql("select platform from webrtc_sessions").fetchall() == [("linux",)]  # its UserAgent: X11; Linux


def test_webrtc_internals_series_become_samples(con, tmp_path):
    t0 = 1_700_000_000_000

    def series(stat_type, values):
        return {"startTime": "x", "endTime": "x", "statsType": stat_type, "values": json.dumps(values)}

    export = {
        "getUserMedia": [],
        "PeerConnections": {
            "1-1": {
                "stats": {
                    "IA-timestamp": series("inbound-rtp", [t0, t0 + 1000, t0 + 2000]),
                    "IA-kind": series("inbound-rtp", ["audio"] * 3),
                    "IA-totalSamplesReceived": series("inbound-rtp", [0, 48000, 96000]),
                    "IA-concealedSamples": series("inbound-rtp", [0, 0, 4800]),
                    "IA-audioLevel": series("inbound-rtp", [0.2, 0.3]),  # the last two samples only
                },
                "updateLog": [
                    {"time": "2023-11-14T22:13:21.000Z", "type": "connectionstatechange", "value": "connected"},
                    {"time": "2023-11-14T22:13:25.000Z", "type": "onconnectionstatechange", "value": '"failed"'},
                ],
            }
        },
        "UserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    }
    path = tmp_path / "webrtc_internals_dump.txt"
    path.write_text(json.dumps(export, indent=1), encoding="utf-8")
    (f,) = ingest(con, [path]).files
    assert (f.kind, f.format) == ("webrtc", "webrtc-internals")
    assert con.sql(
        "select sample, samples_received, concealed_samples, audio_level from webrtc_stats order by sample"
    ).fetchall() == [(0, None, None, None), (1, 48000.0, 0.0, 0.2), (2, 48000.0, 4800.0, 0.3)]
    assert con.sql("select state, previous from webrtc_states order by ts").fetchall() == [
        ("connected", None),  # Chrome writes `connectionstatechange`, without rtcstats' "on"
        ("failed", "connected"),
    ]
    facts = summary.build_summary(con)["webrtc"]
    # 3 sample times; one connection; the one transition into failed
    assert (facts["peer_connections"], facts["stats_samples"], facts["connection_failures"]) == (1, 3, 1)


def test_session_comes_from_the_dump_metadata(con):
    ingest(con, [DUMPS / "firefox97-standard-stats-sfu"])
    # identity line: confName, endpointId, deploymentInfo.region and shard; the user agent says Mac
    assert con.sql("select space_id, user_id, platform, region, edge from webrtc_sessions").fetchall() == [
        ("ObviousGroupsAnticipateCertainly", "59d7f6f7", "macos", "us-west-2", "hcv-lonely-drno")
    ]


def test_map_and_set_name_the_session(con):
    from postmortem.mapping import parse_options

    mapping = parse_options(maps=["edge=deploymentInfo.environment", "user_id=displayName"], sets=["space_id=sp-x"])
    ingest(con, [DUMPS / "firefox97-standard-stats-sfu"], mapping=mapping)
    # identity: displayName "Easter-BIy", deploymentInfo.environment "lonely"; --set overrides confName
    assert con.sql("select space_id, user_id, edge from webrtc_sessions").fetchall() == [
        ("sp-x", "Easter-BIy", "lonely")
    ]


def test_a_gzipped_dump_and_a_rerun(con, tmp_path):
    packed = tmp_path / "relay.gz"
    packed.write_bytes(gzip.compress((DUMPS / "chrome-relay").read_bytes()))
    assert [f.status for f in ingest(con, [packed]).files] == ["loaded"]
    assert [f.status for f in ingest(con, [packed]).files] == ["already loaded"]
    assert con.sql("select count(*) from webrtc_connections").fetchall() == [(1,)]


def test_bad_lines_are_rejects_with_line_numbers(con, tmp_path):
    dump = tmp_path / "client.log"
    dump.write_text(
        '["connectionInfo",null,{"userAgent":"x"},1700000000000]\n'
        '["getstats","PC_0",{"A":{"type":"inbound-rtp","kind":"audio","packetsReceived":5}},1700000001000]\n'
        "this is not json\n"
        "\n"
        '["getstats","PC_0","not an object",1700000002000]\n' + "[" * 100_000 + "\n",
        encoding="utf-8",
    )
    (f,) = ingest(con, [dump]).files
    assert (f.kind, f.lines_read, f.loaded, f.rejected, f.blank) == ("webrtc", 6, 2, 3, 1)
    assert con.sql("select line, reason, length(raw) from rejects order by line").fetchall() == [
        (3, "not an rtcstats event: [method, pc id, value, time]", 16),
        (5, "getstats value is not an object", 49),
        (6, "not an rtcstats event: [method, pc id, value, time]", 2000),  # nested 100,000 deep; raw cut
    ]


def test_kind_webrtc_on_something_else_is_one_line_error(con, tmp_path):
    log = tmp_path / "join.jsonl"
    log.write_text('{"ts":"2026-01-01T00:00:00Z","space_id":"s","user_id":"u","event":"join"}\n')
    with pytest.raises(Exception, match="not a WebRTC dump"):
        ingest(con, [log], kind="webrtc")


def _sample(t_ms: float, stats: dict) -> str:
    return json.dumps(["getstats", "pc1", stats, t_ms])


def test_delta_samples_are_expanded_and_counters_differenced(con, tmp_path):
    t0 = 1_700_000_000_000
    lines = [
        json.dumps(["identity", None, {"confName": "room", "userId": "ann"}, t0]),
        _sample(
            t0,
            {
                "IA": {
                    "type": "inbound-rtp",
                    "kind": "audio",
                    "totalSamplesReceived": 0,
                    "concealedSamples": 0,
                    "silentConcealedSamples": 0,
                    "packetsReceived": 0,
                    "packetsLost": 0,
                    "jitter": 0.01,
                    "insertedSamplesForDeceleration": 0,
                    "removedSamplesForAcceleration": 0,
                },
                "V": {"type": "inbound-rtp", "kind": "video", "packetsReceived": 1},
            },
        ),
        # only what changed: the carried-forward jitter stays 0.01
        _sample(t0 + 10_000, {"IA": {"totalSamplesReceived": 480_000, "packetsReceived": 500}}),
        _sample(
            t0 + 20_000,
            {
                "IA": {
                    "totalSamplesReceived": 960_000,
                    "concealedSamples": 48_000,
                    "packetsReceived": 900,
                    "packetsLost": 100,
                }
            },
        ),
        # the counters went back: a restarted stream counts from zero
        _sample(
            t0 + 30_000,
            {
                "IA": {
                    "totalSamplesReceived": 480_000,
                    "concealedSamples": 0,
                    "packetsReceived": 500,
                    "packetsLost": 0,
                    "insertedSamplesForDeceleration": 48_000,
                }
            },
        ),
    ]
    dump = tmp_path / "ann.log"
    dump.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingest(con, [dump])
    rows = con.sql(
        "select sample, samples_received, concealed_samples, packets_received, packets_lost, jitter "
        "from webrtc_stats where type = 'inbound-rtp' order by sample"
    ).fetchall()
    assert rows == [
        (0, None, None, None, None, 0.01),
        (1, 480_000.0, 0.0, 500.0, 0.0, 0.01),
        (2, 480_000.0, 48_000.0, 400.0, 100.0, 0.01),  # 960,000 - 480,000; 900 - 500
        (3, 480_000.0, 0.0, 500.0, 0.0, 0.01),  # restarted: the values themselves
    ]
    quality = con.sql(
        "select concealed_share, loss_rate, mos from webrtc_quality where samples > 0 order by interval_start"
    ).fetchall()
    # interval 2: concealed 48,000 / 480,000 = 0.1; loss 100 / (100 + 400) = 0.2 -> loss% = 20
    # delay = 20 + 50 (no buffer stats) + 50 / 2 = 95 ms; Id = 0.03 x 95 = 2.85
    # Ipl = 6 + 94 x 20 / (20 + 20) = 53; R = 100 - 53 - 2.85 = 44.15
    # MOS = 1 + 0.035 x 44.15 + 7e-6 x 44.15 x (44.15 - 60) x (100 - 44.15) = 1 + 1.54525 - 0.27357 = 2.27
    # intervals 1 and 3: loss 0 -> R = 100 - 6 - 2.85 = 91.15, MOS = 1 + 3.19025 + 0.17590 = 4.37
    assert quality == [(0.0, 0.0, 4.37), (0.1, 0.2, 2.27), (0.0, 0.0, 4.37)]
    # the identity names the room: the 10% concealed interval is a measured dropout in the glitch log, the last
    # one (48,000 of 480,000 samples inserted to slow playout: 10%) a robotic one
    assert con.sql(
        "select ts, space_id, user_id, glitch, duration_ms, extra->>'source' from glitch_events order by ts"
    ).fetchall() == [
        (datetime(2023, 11, 14, 22, 13, 40, tzinfo=UTC), "room", "ann", "dropout", 1000.0, "webrtc"),
        (datetime(2023, 11, 14, 22, 13, 50, tzinfo=UTC), "room", "ann", "robotic", 1000.0, "webrtc"),
    ]


@pytest.fixture(scope="module", params=["speaker", "edge"])
def planted(request, tmp_path_factory):
    """A small simulation with dumps for 24 listeners (6 behind the bad edge) and the 6 speakers, ingested."""
    from postmortem import db
    from postmortem.simulate import simulate

    out = tmp_path_factory.mktemp(f"sim-{request.param}")
    simulate(out / "logs", listeners=300, seed=5, webrtc=24, webrtc_failure=request.param)
    truth = json.loads((out / "logs" / ".truth.json").read_text())["webrtc"]
    with db.connect(out / "db.duckdb", threads=2) as connection:
        ingest(connection, [out / "logs"])
        facts = summary.build_summary(connection)
    return truth, facts, out / "logs"


def test_planted_incident_is_recovered(planted):
    truth, facts, _ = planted
    audio = facts["webrtc"]
    assert (truth["listeners"], truth["behind_bad_edge"], truth["speakers"]) == (24, 6, 6)
    assert audio["files"] == audio["peer_connections"] == 24 + 6
    assert summary.to_json_ready(audio["onset"]) == "2026-03-14T21:12:00Z" == truth["onset"].replace(".000", "")
    assert audio["poor_listener_minutes"] == truth["poor_listener_minutes"] > 0
    assert audio["silent_listener_minutes"] == truth["silent_listener_minutes"] > 0
    assert audio["connection_failures"] == truth["connection_failures"]
    assert audio["verdict"]["kind"] == truth["verdict"]
    assert audio["verdict"]["speaker"] == truth["feedback_speaker"]
    if truth["failure"] == "edge":
        assert truth["connection_failures"] > 0
        assert audio["verdict"]["evidence"][0].startswith(f"edge {truth['bad_edge']}: 100% of its listener-minutes")


def test_planted_incident_minutes_band(planted):
    truth, facts, _ = planted
    by_minute = {summary.to_json_ready(m["minute"]): m for m in facts["webrtc"]["mos_by_minute"]}
    # before the onset every listener hears clean audio (MOS about 4.3); in the silence the p50 listener of the
    # speaker case, and the p10 listener of the edge case (a quarter of the listeners), is at the floor
    assert by_minute["2026-03-14T21:05:00Z"]["p10"] > 4
    silence = by_minute["2026-03-14T21:18:00Z"]
    assert (silence["p50"] if truth["failure"] == "speaker" else silence["p10"]) < 1.5


def test_measured_glitches_feed_the_glitch_log(planted, con):
    truth, _, logs = planted
    # no client complained (no glitch log): the room log and the dumps alone
    ingest(con, [logs / "join.jsonl", logs / "webrtc"])
    assert con.sql("select distinct extra->>'source' from glitch_events").fetchall() == [("webrtc",)]
    facts = summary.build_summary(con)
    assert summary.to_json_ready(facts["webrtc"]["onset"]) == truth["onset"].replace(".000", "")
    if truth["failure"] == "speaker":  # 24 of the room's 300 listeners measured it: 8%, over the 5% floor
        assert summary.to_json_ready(facts["incident"]["degraded_at"]) == truth["onset"].replace(".000", "")
        # and the phases: down from the planted silence (measured silence is most of the minute's reports)
        silence = json.loads((logs / ".truth.json").read_text())["silence"].replace(".000", "")
        down = next(p for p in facts["incident"]["phases"] if p["phase"] == "down")
        assert summary.to_json_ready(down["start"]) == silence == "2026-03-14T21:17:00Z"
    else:  # 6 of 300 behind the failed edge: 2%, under the room detection's floor; only the webrtc onset says
        assert facts["incident"] is None  # no room degraded by the detection's rule


def test_the_audio_charts_are_valid_vega_lite(planted):
    from conftest import invalid_charts

    from postmortem import commands

    _, _, logs = planted
    facts = commands.load_facts(logs.parent / "db.duckdb")
    assert facts["webrtc"]  # the audio chart is among those checked
    assert invalid_charts(facts) == {}


def _report(database: Path, fmt: str, tmp_path: Path) -> str:
    from postmortem.commands import write_report

    out = tmp_path / f"report.{fmt}"
    write_report(database, fmt=fmt, output=str(out))
    return out.read_text(encoding="utf-8")


def test_report_shows_the_verdict_near_the_top(planted, tmp_path):
    truth, _, logs = planted
    database = logs.parent / "db.duckdb"
    html = _report(database, "html", tmp_path)
    card = html.index(f'data-verdict="{truth["verdict"]}"')
    # Its section follows the key figures (the root cause is on the first screen, above them), before the rest.
    after = [
        html.index(f'id="{s}"') for s in ("missing-logs", "timeline", "errors", "postmortem") if f'id="{s}"' in html
    ]
    assert html.index('id="summary"') < html.index('id="webrtc-audio"') < card < min(after)
    assert 'data-chart="chart-webrtc_quality"' in html
    summary_json = json.loads(_report(database, "json", tmp_path))
    assert summary_json["webrtc"]["verdict"]["kind"] == truth["verdict"]
    assert "rows" not in summary_json["webrtc"]
    md = _report(database, "md", tmp_path)
    assert "## Listener audio, as the clients measured it" in md and "webrtc_quality.svg" in md


def test_a_database_of_dumps_alone_says_what_it_cannot_answer(planted, tmp_path):
    truth, _, logs = planted
    database = tmp_path / "dumps.duckdb"
    from postmortem import db

    with db.connect(database) as connection:
        ingest(connection, [logs / "webrtc"])
    html = _report(database, "html", tmp_path)
    assert "<h1>Listener audio measured by 30 WebRTC dumps on 2026-03-14</h1>" in html
    assert "The clients&#39; own statistics (30 WebRTC dumps) show the listeners&#39; audio degrading" in html
    assert "These dumps cannot tell how many of the room&#39;s listeners these are" in html
    assert f'data-verdict="{truth["verdict"]}"' in html


def test_a_report_without_dumps_has_no_webrtc_part(sample_db, tmp_path):
    summary_json = json.loads(_report(sample_db, "json", tmp_path))
    assert "webrtc" not in summary_json
    html = _report(sample_db, "html", tmp_path)
    assert "webrtc-audio" not in html and "chart-webrtc_quality" not in html


def test_a_lake_refuses_a_dump_and_publishes_nothing(tmp_path, runner):
    from postmortem.cli import app

    lake = tmp_path / "lake"
    result = runner.invoke(app, ["ingest", str(DUMPS / "chrome-relay"), "--lake", str(lake)])
    assert result.exit_code == 1 and "chrome-relay: a WebRTC dump cannot go into a lake yet" in result.output
    assert not list(lake.rglob("*.parquet"))


def test_the_timeline_gets_the_measured_events(planted):
    from postmortem import db

    truth, _, logs = planted
    with db.connect(logs.parent / "db.duckdb", read_only=True) as connection:
        events = summary.gather_facts(connection, evidence=False)["evidence"]["events"]
    measured = [
        (summary.to_json_ready(e["ts"]), e["kind"], e["actor"]) for e in events if e["kind"].endswith("(measured)")
    ]
    onset = ("2026-03-14T21:12:00Z", "audio degraded (measured)", None)
    if truth["failure"] == "speaker":  # the planted collapse: 10 s before the onset
        assert measured == [("2026-03-14T21:11:50Z", "mic feedback (measured)", "u-spk2"), onset]
    else:
        assert measured == [onset]


def test_verdict_unclear_and_moderate_cases():
    from datetime import timedelta

    from postmortem.webrtc_facts import verdict

    onset = datetime(2026, 3, 14, 21, 12, tzinfo=UTC)

    def speaker(user, collapse_s):
        at = None if collapse_s is None else onset + timedelta(seconds=collapse_s)
        return {
            "user_id": user,
            "space_id": "s",
            "baseline_erle": 30.0,
            "collapse_at": at,
            "lowest_erle": 1.0,
            "mic_events": 0,
            "last_mic_event": None,
            "last_mic_event_at": None,
        }

    def place(value, share, others):
        return {"dimension": "edge", "value": value, "listeners": 5, "degraded_share": share, "others_share": others}

    assert verdict(None, [], [])["kind"] == "unclear"  # nothing degraded
    two = verdict(onset, [speaker("a", -10), speaker("b", 0)], [place("e1", 0.4, 0.3)])
    assert (two["kind"], two["evidence"][1]) == ("unclear", "2 speakers' microphones collapsed around the onset: a, b")
    late = verdict(onset, [speaker("a", 120)], [place("e1", 0.4, 0.3)])  # collapsed 2 min after: no lead
    assert late["kind"] == "unclear"
    # one edge at 60% against 10% elsewhere (60% >= 50% and >= 3 x 10%), and no speaker dump to rule a loop out
    edge = verdict(onset, [], [place("e1", 0.6, 0.1), place("e2", 0.1, 0.6)])
    assert (edge["kind"], edge["strength"]) == ("network", "moderate")
    # 60% against 25%: under 3 times the rest, not concentrated enough
    assert verdict(onset, [], [place("e1", 0.6, 0.25)])["kind"] == "unclear"
    # a speaker's collapse with the degradation also on one edge: still the speaker, moderately
    both = verdict(onset, [speaker("a", -10)], [place("e1", 0.6, 0.1)])
    assert (both["kind"], both["speaker"], both["strength"]) == ("speaker", "a", "moderate")


def test_the_summary_keeps_the_schema_contract(planted, tmp_path):
    import jsonschema

    schema = json.loads((Path(__file__).parent.parent / "docs" / "summary.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    _, _, logs = planted
    document = json.loads(_report(logs.parent / "db.duckdb", "json", tmp_path))
    assert list(validator.iter_errors(document)) == []
    document["webrtc"]["verdict"]["kind"] = "maybe"  # the contract's three words only
    del document["webrtc"]["mos_by_minute"][0]["p10"]
    assert sorted(e.message for e in validator.iter_errors(document)) == [
        "'maybe' is not one of ['speaker', 'network', 'unclear']",
        "'p10' is a required property",
    ]
