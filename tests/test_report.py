"""The report: the context as data (no rendering, no database), parsed HTML and Markdown, the CLI commands
around it, and real Chromium (under a non-UTC zone and at phone width)."""

import csv
import io
import json
import os
import shutil
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from conftest import SAMPLE_LOGS, invalid_charts, write_lines

from postmortem import charts, commands, db, export, figures, queries, render, report
from postmortem.cli import app
from postmortem.commands import write_report
from postmortem.errors import InputError
from postmortem.human_times import Clock
from postmortem.ingest import ingest
from postmortem.notes import TEMPLATE, load_notes
from postmortem.summary import Detection, build_summary, gather_facts, to_json_ready

ARTIFACTS = Path(__file__).parent / "artifacts"
# The registry's charts the sample draws: all but the error-only one (it has an incident room and a switch-over)
# and those of WebRTC dumps and metrics, which it does not have.
CHARTS_IN_SAMPLE = [f.name for f in figures.REGISTRY if f.name not in ("error_rate", "webrtc_quality", "metrics")]
FIXED = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOSTILE = {
    "script": "</script><script>window.__pwned = 1</script>",
    "img": '<img src=x onerror="window.__pwned = 2">',
    "template": "{{ 7*7 }}",
}
FILLED_NOTES = """
title = "Relay overload took down the celebrity room"
severity = "SEV-1"
owners = ["alice (IC)"]
root_cause = "relay-07 ran out of memory under fan-out load."
[[action_items]]
what = "Alert on glitch share per room"
owner = "audio-oncall"
due = 2026-04-01
status = "open"
[[timeline]]
ts = 2026-03-14T21:14:00Z
text = "Incident declared in #incident-audio"
"""


class Page(HTMLParser):
    """Collects the key-figure cards (data-key -> data-value), script tags, h3 texts and missing-log items."""

    def __init__(self):
        super().__init__()
        self.cards, self.scripts, self.h3, self.missing = {}, [], [], []
        self._in_h3 = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and "data-key" in a:
            self.cards[a["data-key"]] = json.loads(a["data-value"])
        if tag == "script":
            self.scripts.append(a)
        if tag == "li" and "data-missing" in a:
            self.missing.append(a["data-missing"])
        self._in_h3 = tag == "h3"

    def handle_data(self, data):
        if self._in_h3:
            self.h3.append(data.strip())
            self._in_h3 = False


def parse(html: str) -> Page:
    parser = Page()
    parser.feed(html)
    return parser


def facts_of(database, **options) -> dict:
    with db.connect(database, read_only=True) as con:
        db.cache_derived(con)
        return gather_facts(con, **options)


@pytest.fixture(scope="module")
def facts(sample_db):
    return facts_of(sample_db)


@pytest.fixture(scope="module")
def context(facts):
    return report.build_context(facts, {}, Clock(now=FIXED))


@pytest.fixture(scope="module")
def sample_html(sample_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(sample_db, output=str(path), generated_at=FIXED)
    return path


@pytest.fixture(scope="module")
def error_only_db(tmp_path_factory):
    """Only the sample's error log: no room events, no glitch reports."""
    path = tmp_path_factory.mktemp("errors") / "errors.duckdb"
    with db.connect(path, threads=2) as con:
        ingest(con, [SAMPLE_LOGS / "error.csv"], kind="error")
    return path


def test_every_chart_is_valid_vega_lite(facts, error_only_db):
    assert invalid_charts(facts) == {}
    assert invalid_charts(facts_of(error_only_db)) == {}


def test_an_invalid_chart_is_found(facts, monkeypatch):
    """The check above can fail: a width that is neither a number nor 'container' breaks every chart."""
    drawn = charts._spec
    monkeypatch.setattr(charts, "_spec", lambda chart: {**drawn(chart), "width": "wide"})
    found = invalid_charts(facts)
    assert {"timeline (spec)", "timeline (narrow)", "funnel (spec)"} <= found.keys()


@pytest.fixture(scope="module")
def no_glitch_db(tmp_path_factory):
    """Room events and errors but no glitch log: nothing can say whether audio degraded."""
    path = tmp_path_factory.mktemp("noglitch") / "noglitch.duckdb"
    with db.connect(path, threads=2) as con:
        ingest(con, [SAMPLE_LOGS / "join.jsonl", SAMPLE_LOGS / "error.csv"])
    return path


def cards_by_key(context: dict) -> dict:
    return {c["key"]: c for c in context["cards"]}


# --- the context is a pure function of (facts, notes, clock) ------------------------------------------------


def test_context_needs_no_database(facts):
    # The facts are plain data: the same context comes from a deep copy, with no connection open anywhere.
    copy = json.loads(json.dumps(to_json_ready(facts)))
    assert copy["incident"]["space_id"] == "sp-main"
    first = report.build_context(facts, {}, Clock(now=FIXED))
    second = report.build_context(facts, {}, Clock(now=FIXED))
    assert first == second


def test_detection_is_named_for_what_it_is(facts, context):
    # Item 3: the first error log line is not when anyone was alerted.
    card = cards_by_key(context)["anchors.time_to_detect_s"]
    assert card["label"] == "First error logged after onset"
    assert card["value"] == 45.689  # first audio-relay error 21:12:45.689 - degradation 21:12:00
    assert "not when anyone was alerted" in card["note"]
    noted = dict(facts, anchors={**facts["anchors"]})
    noted["anchors"]["detected"] = datetime(2026, 3, 14, 21, 14, tzinfo=UTC)
    noted["anchors"]["time_to_detect_s"] = 120.0
    noted["anchors"]["overridden"] = ["detected"]
    card = cards_by_key(report.build_context(noted, {}, Clock(now=FIXED)))["anchors.time_to_detect_s"]
    assert card["label"] == "Time to detect" and card["display"] == "2 min 00 s"
    assert card["note"] == "detected 21:14:00 UTC (from notes)"


def test_contributing_factors_are_over_represented_with_support(context, facts):
    # Item 4: nothing under-represented, no pseudo-count lift for a value with no baseline, support shown.
    rows = context["tables"]["factors"]
    assert rows, "the sample has over-represented values"
    for raw, shown in zip(facts["evidence"]["factors"], rows, strict=True):
        assert raw["window_records"] >= facts["definitions"]["factor_min_records"]
        if raw["new_in_window"]:
            assert raw["baseline_records"] == 0 and raw["lift"] is None and shown["lift"] == "new in the window"
        else:
            assert raw["lift"] >= 1.5 and shown["lift"] == f"{raw['lift']:g}×"
        assert shown["support"] == f"{raw['window_records']:,} in the window, {raw['baseline_records']:,} before"
    # audio-relay: 249 error-log records in the window and none before it.
    assert ("audio-relay", "new in the window") in [(r["value"], r["lift"]) for r in rows]


def test_headcounts_are_few_consistent_and_defined(context, facts):
    # Item 5: users affected, peak, listeners and followers, each in the glossary, the follow rate also
    # against those still present at the end.
    cards = cards_by_key(context)
    assert cards["window.users_affected"]["value"] == facts["window"]["users_affected"] == 963
    assert cards["spaces.sp-main.peak_concurrent"]["value"] == 943
    follow = cards["switchover.follow_rate"]
    # 600 of 1,000 listeners followed; of the 670 still present when sp-main ended, 394 did (58.8%).
    assert follow["note"] == "600 of 1,000 listeners; 58.8% of the 670 present at the end"
    terms = {g["term"] for g in context["glossary"]}
    assert {"peak concurrent", "users affected", "listeners", "listeners followed / follow rate"} <= terms
    # The funnel measures arrivals from the replacement's start; its second step is the followers.
    funnel = facts["evidence"]["funnel"]
    assert [f["step"] for f in funnel] == [
        "joined the failed room",
        "followed to the replacement",
        "of them, within 15 min of its start",
        "of them, within 5 min of its start",
    ]
    assert funnel[1]["listeners"] == facts["switchover"]["listeners_followed"]
    # Rooms show listeners, not a second user count.
    assert all("unique_users" in room and room["unique_listeners"] for room in context["spaces"])


def test_header_shows_the_impact_window_and_a_detail_view(context):
    # Item 7: not the whole log range (21:00-22:40) but impact start to resolved.
    assert context["window_label"] == "impact window"
    assert context["window"] == "21:12:00 UTC – 21:28:00 UTC"
    detail = context["charts"]["timeline_detail"]["spec"]
    x = detail["vconcat"][1]["layer"][0]["encoding"]["x"]["scale"]
    # The detail view spans impact start - 2 min to impact end + 2 min: 21:10 to 21:30.
    assert (x["domainMin"], x["domainMax"]) == (
        int(datetime(2026, 3, 14, 21, 10, tzinfo=UTC).timestamp() * 1000),
        int(datetime(2026, 3, 14, 21, 30, tzinfo=UTC).timestamp() * 1000),
    )
    main = context["charts"]["timeline"]["spec"]["vconcat"][1]["layer"][0]["encoding"]["x"]["scale"]
    span = (main["domainMax"] - main["domainMin"]) / 60000
    incident = 16  # 21:12 -> 21:28
    assert incident / span > 0.4, "the incident gets a fair share of the main timeline's width"


def test_speakers_reach_the_report(context):
    # Item 2: who was on stage, mic state, when they left and came back.
    rows = {(r["space_id"], r["user_id"]): r for r in context["speakers"]}
    assert rows[("sp-main", "u-spk3")]["left_and_came_back"] == "3"  # the simulation: 3 times in and out
    assert rows[("sp-main", "u-host")]["role"] == "host"
    assert rows[("sp-main", "u-host")]["mic_toggles"] == "9"  # mic_toggles: 5 mic_on + 4 mic_off
    assert rows[("sp-rescue", "u-cohost")]["mic_toggles"] == "0"
    lanes = context["charts"]["speakers"]["spec"]
    data = [d for layer in lanes["layer"] for d in layer["data"]["values"]]
    assert {"mic on", "mic off"} <= {d["mic"] for d in data}
    assert any(d["ends_with_leave"] for d in data)


def test_charts_use_utc_in_tooltips_and_whole_minute_ticks(context):
    # Items 1 and 6 in the specs: every temporal tooltip goes through a UTC time unit; ticks never repeat.
    def walk(node):
        if isinstance(node, dict):
            yield node
            for v in node.values():
                yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)

    specs = [(name, c[width]) for name, c in context["charts"].items() for width in ("spec", "narrow")]
    for name, spec in specs:
        for node in walk(spec):
            tooltip = node.get("tooltip")
            for t in tooltip if isinstance(tooltip, list) else []:
                if isinstance(t, dict) and t.get("type") == "temporal":
                    assert t.get("timeUnit", "").startswith("utc"), (name, t)
            axis = node.get("axis")
            if isinstance(axis, dict) and "values" in axis:
                labels = [datetime.fromtimestamp(v / 1000, UTC).strftime(axis["format"]) for v in axis["values"]]
                assert len(labels) == len(set(labels)), (name, labels)


def test_glitch_steps_are_zero_filled_and_blast_colour_means_something(context, facts):
    # Item 6: the stacked area draws a kind's silence as zero (rows for every minute of each room) and as
    # steps; the blast radius has no title of its own (the page's heading names it) and two fixed colours.
    spec = context["charts"]["glitches"]["spec"]
    assert spec["mark"]["interpolate"] == "step-after"
    rows = facts["evidence"]["glitches_per_minute"]
    per_room = {}
    for r in rows:
        per_room.setdefault((r["space_id"], r["glitch"]), []).append(r["minute"])
    for (space, _), minutes in per_room.items():
        room = next(s for s in facts["spaces"] if s["space_id"] == space)
        expected = (
            int((room["ended_at"].replace(second=0) - room["started_at"].replace(second=0)).total_seconds() // 60) + 1
        )
        assert len(minutes) == expected, space
    assert any(r["reports"] == 0 for r in rows)
    blast = context["charts"]["blast"]["spec"]
    assert "title" not in blast
    colours = {layer["mark"].get("color") for panel in blast["vconcat"] for layer in panel["layer"]}
    assert {"#ced4da", "#c92a2a"} <= colours


def test_tables_use_separators_and_one_time_format(context):
    quality = {k: v for k, v in context["data_quality"].items() if k != "reject_reasons"}  # raw lines as given
    shown = json.dumps([context["spaces"], quality, context["tables"], context["key_events"], context["phases"]])
    assert "T21:" not in shown.replace('"ts": "2026-03-14T', "")  # no ISO time shown beside 21:12:45 UTC
    assert "21:12:00 UTC" in shown
    rescue = next(s for s in context["spaces"] if s["space_id"] == "sp-rescue")
    assert rescue["unique_listeners"] == "4,279"  # 4,283 users minus the host and 3 speakers
    assert next(r for r in context["data_quality"]["kinds"] if r["kind"] == "join")["loaded"] == "10,799"


def test_story_comes_first(context, sample_html):
    ids = [section for section, _ in context["toc"]]
    assert ids[:3] == ["first-screen", "summary", "timeline"]
    html = sample_html.read_text()
    order = [
        html.index(f'id="{s}"')
        for s in ("first-screen", "root-cause", "action-items", "summary", "timeline", "switchover", "where-it-broke")
    ]
    order += [html.index(f'<section id="{s}"') for s in ("postmortem", "appendix")]
    assert order == sorted(order)
    assert "<code>start</code>" in html and "`start`" not in html  # glossary Markdown rendered


def test_executive_summary_quotes_the_root_cause(facts, tmp_path):
    notes_path = tmp_path / "n.toml"
    notes_path.write_text(FILLED_NOTES)
    context = report.build_context(facts, load_notes(notes_path), Clock(now=FIXED))
    assert context["executive_summary"].endswith("Root cause: relay-07 ran out of memory under fan-out load.")


# --- any subset of logs; missing data is never an all-clear ------------------------------------------------


def test_error_only_json_has_coverage_and_the_burst(error_only_db):
    summary = json.loads(export.summary_json(facts_of(error_only_db)))
    assert summary["coverage"]["join"] == {"files": 0, "rows": 0, "from": None, "to": None}
    assert summary["coverage"]["error"]["rows"] == 813 and summary["coverage"]["error"]["files"] == 1
    assert summary["missing"] == ["join", "glitch"]
    # The sample's errors: 0 before 21:12, then 8, 30, 50, 62... a minute until 21:21 (20): 21:12-21:22.
    burst = summary["error_burst"]
    assert (burst["start"], burst["end"], burst["errors"]) == ("2026-03-14T21:12:00Z", "2026-03-14T21:22:00Z", 481)


def test_error_only_report_is_error_centred_and_names_what_is_missing(error_only_db):
    context = report.build_context(facts_of(error_only_db), {}, Clock(now=FIXED))
    assert context["mode"] == "errors"
    assert context["window_label"] == "error burst" and context["window"] == "21:12:00 UTC – 21:22:00 UTC"
    text = context["executive_summary"]
    assert "No room's audio degraded" not in text
    assert "audio-glitch log were not loaded, so whether any room's audio degraded cannot be told" in text
    assert "first came from audio-relay at 21:12:45 UTC" in text
    assert [m["kind"] for m in context["missing"]] == ["join", "glitch"]
    assert [r["service"] for r in context["tables"]["first_errors"]] == ["audio-relay", "fanout", "edge-gateway"]
    assert context["tables"]["top_messages"][0]["records"] == "248"
    assert set(context["charts"]) == {"error_rate"} and context["charts"]["error_rate"]["slot"] == "first-screen"
    assert cards_by_key(context)["error_burst.peak_per_minute"]["value"] == 63
    assert [e["kind"] for e in context["key_events"]].count("first error") == 3


def test_error_only_html_markdown_and_timeline(error_only_db, tmp_path, runner):
    html_path, md_path = tmp_path / "e.html", tmp_path / "e.md"
    write_report(error_only_db, output=str(html_path))
    write_report(error_only_db, fmt="md", output=str(md_path))
    page = parse(html_path.read_text())
    assert page.missing == ["join", "glitch"]
    assert_cards_equal_json(error_only_db, html_path.read_text(), tmp_path)
    md = md_path.read_text()
    assert "## What these logs cannot tell" in md and "### First error per service" in md
    assert (tmp_path / "e_charts" / "error_rate.svg").exists()
    result = runner.invoke(app, ["timeline", "--format", "json", "--db", str(error_only_db)])
    kinds = [e["kind"] for e in json.loads(result.stdout)["events"]]
    assert kinds.count("first error") == 3 and "error burst start" in kinds


def test_no_glitch_log_is_not_an_all_clear(no_glitch_db):
    context = report.build_context(facts_of(no_glitch_db), {}, Clock(now=FIXED))
    assert "No room's audio degraded" not in context["executive_summary"]
    assert context["executive_summary"].startswith("Audio-glitch log was not loaded")
    assert [m["kind"] for m in context["missing"]] == ["glitch"]
    assert "not an all-clear" in context["missing"][0]["cannot_answer"]


def test_all_logs_and_no_degradation_is_the_only_all_clear(sample_db):
    context = report.build_context(facts_of(sample_db, detection=Detection(sustain_minutes=30)), {}, Clock(now=FIXED))
    assert context["missing"] == []
    assert context["executive_summary"].startswith("No room's audio degraded by the definitions")


# --- HTML and Markdown -------------------------------------------------------------------------------------


def assert_cards_equal_json(database, html: str, tmp_path) -> dict:
    json_path = tmp_path / "summary.json"
    write_report(database, fmt="json", output=str(json_path))
    summary = json.loads(json_path.read_text())
    cards = parse(html).cards
    assert cards
    for key, value in cards.items():
        node = summary
        for part in key.split(".")[:-1]:
            node = node[part] if part != "spaces" else {s["space_id"]: s for s in node[part]}
        assert node[key.split(".")[-1]] == value, key
    return summary


def test_numbers_in_the_html_equal_the_json_summary(sample_db, sample_html, tmp_path):
    summary = assert_cards_equal_json(sample_db, sample_html.read_text(), tmp_path)
    move = summary["switchover"]
    assert f"{move['follow_rate']:.1%}" in sample_html.read_text()


def test_sections_without_notes_say_to_be_written(sample_html):
    html = sample_html.read_text()
    # Each narrative section but the root cause (on the first screen), and the full action-item list.
    assert html.count('<p class="todo">to be written</p>') == len(report.SECTIONS) - 1 + 1
    assert '<p class="todo">Root cause: to be written</p>' in html
    assert "Generated by postmortem at 2026-11-24T12:00:00Z" in html


def test_output_is_byte_stable_with_a_fixed_clock(sample_db, sample_html, tmp_path):
    again = tmp_path / "again.html"
    write_report(sample_db, output=str(again), generated_at=FIXED)
    assert again.read_bytes() == sample_html.read_bytes()


def test_page_is_one_file_with_hash_locked_scripts(sample_html):
    html = sample_html.read_text()
    scripts = parse(html).scripts
    assert sum(1 for s in scripts if s.get("type") == "application/json") == len(CHARTS_IN_SAMPLE)
    assert "<link" not in html and 'src="http' not in html and 'href="http' not in html
    assert "default-src 'none'" in html and "'unsafe-inline'" not in html.split("style-src")[0]
    assert len(html.encode()) < 3 * 1024 * 1024


def test_static_html_has_svg_charts_and_no_script(sample_db, tmp_path):
    path = tmp_path / "static.html"
    write_report(sample_db, output=str(path), static=True)
    html = path.read_text()
    assert "<script" not in html
    charts = len(CHARTS_IN_SAMPLE)
    assert html.count('<div class="static-chart"') == charts and html.count("<svg") >= charts


def test_markdown_report_writes_charts_beside_it(sample_db, tmp_path):
    path = tmp_path / "wiki" / "incident.md"
    path.parent.mkdir()
    write_report(sample_db, fmt="md", output=str(path))
    text = path.read_text()
    title = next(f.title for f in figures.REGISTRY if f.name == "timeline")
    assert f"![{title}](incident_charts/timeline.svg)" in text
    assert (tmp_path / "wiki" / "incident_charts" / "speakers.svg").read_text().startswith("<svg")
    assert "## Appendix" in text and "_to be written_" in text and "### Who was on stage" in text
    assert "| sp-main | u-spk3 | speaker |" in text


def test_markdown_to_stdout_writes_no_chart_folder(runner, sample_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["report", "--format", "md", "-o", "-", "--db", str(sample_db)])
    assert result.exit_code == 0, result.output
    assert list(tmp_path.iterdir()) == []
    assert "Charts are not included" in result.stdout
    assert "note: charts are not written with -o -" in result.stderr


def test_display_tz_shows_both_zones(sample_db, tmp_path):
    path = tmp_path / "ny.html"
    write_report(sample_db, output=str(path), display_tz="America/New_York")
    # 21:12 UTC on 2026-03-14 is 17:12 EDT (DST began on 2026-03-08).
    assert "21:12:00 UTC (17:12:00 EDT)" in path.read_text()
    with pytest.raises(InputError, match="unknown time zone"):
        write_report(sample_db, output=str(path), display_tz="Atlantis/Capital")


def test_control_characters_in_labels_render_static_and_markdown(tmp_path):
    # Issue 10 #7: vl-convert aborted the process (a Rust panic) on a C0 control character in a label.
    folder = tmp_path / "logs"
    folder.mkdir()
    joins = [{"ts": "2024-05-01T12:00:00Z", "space_id": "R", "user_id": "h", "event": "start", "role": "host"}]
    joins += [{"ts": "2024-05-01T12:00:00Z", "space_id": "R", "user_id": f"u{i}", "event": "join"} for i in range(10)]
    joins += [{"ts": "2024-05-01T12:15:00Z", "space_id": "R", "user_id": "h", "event": "end", "role": "host"}]
    glitches = [
        {"ts": f"2024-05-01T12:{m}:30Z", "space_id": "R", "user_id": f"u{i}", "glitch": "scr\x1beech", "edge": "e\x01"}
        for m in ("10", "11", "12")
        for i in range(6)
    ]
    errors = [{"ts": "2024-05-01T12:10:10Z", "service": "re\x07lay", "level": "error", "message": "x", "space_id": "R"}]
    write_lines(folder / "join.jsonl", joins)
    write_lines(folder / "glitch.jsonl", glitches)
    write_lines(folder / "error.jsonl", errors)
    database = tmp_path / "c.duckdb"
    with db.connect(database) as con:
        ingest(con, [folder])
    write_report(database, output=str(tmp_path / "s.html"), static=True)
    write_report(database, fmt="md", output=str(tmp_path / "c.md"))
    svg = (tmp_path / "c_charts" / "errors.svg").read_text()
    assert "re\u2407lay" in svg  # BEL shown as its control picture
    assert "\u241b" in (tmp_path / "s.html").read_text()  # ESC likewise


def test_render_xml_safe_keeps_text_visible():
    assert render.xml_safe({"a\x00": ["b\x1bc", 1, None]}) == {"a\u2400": ["b\u241bc", 1, None]}


# --- writers: all or nothing, strict JSON -----------------------------------------------------------------------


def test_report_write_is_atomic_on_a_full_disk(sample_db, tmp_path, monkeypatch):
    # Issue 10 #12: a failed write leaves the previous report whole and no temporary file behind.
    target = tmp_path / "r.html"
    target.write_text("the previous report")

    def full(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(InputError, match="cannot write .*r.html: No space left on device"):
        write_report(sample_db, output=str(target))
    with pytest.raises(InputError, match="No space left on device"):
        write_report(sample_db, fmt="md", output=str(tmp_path / "r.md"))
    assert target.read_text() == "the previous report"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["r.html"]


def test_json_never_carries_nan_or_infinity():
    frame = pl.DataFrame({"x": [float("nan"), float("inf"), 1.5], "when": [FIXED] * 3})
    rows = json.loads(export.frame_text(frame, "json"), parse_constant=lambda c: pytest.fail(f"bare {c}"))
    assert [r["x"] for r in rows] == [None, None, 1.5] and rows[0]["when"] == "2026-11-24T12:00:00Z"
    assert json.loads(export.summary_json({"a": float("-inf")})) == {"schema_version": 1, "a": None}


# --- notes ---------------------------------------------------------------------------------------------------


def test_unedited_template_publishes_no_fiction(sample_db, tmp_path):
    notes = tmp_path / "incident.toml"
    notes.write_text(TEMPLATE)
    loaded = load_notes(notes)
    assert loaded["action_items"] == [] and "root_cause" not in loaded and "severity" not in loaded
    path = tmp_path / "r.html"
    write_report(sample_db, output=str(path), notes_path=notes)
    html = path.read_text()
    assert "TODO" not in html and "SEV-1" not in html
    assert '<p class="todo">Root cause: to be written</p>' in html


def test_filled_notes_fill_the_report(sample_db, tmp_path):
    notes = tmp_path / "incident.toml"
    notes.write_text(FILLED_NOTES + '\n[anchors]\ndetected = "2026-03-14T21:14:00Z"\n')
    path = tmp_path / "r.html"
    write_report(sample_db, output=str(path), notes_path=notes)
    html = path.read_text()
    assert "relay-07 ran out of memory" in html and "Incident declared in #incident-audio" in html
    assert parse(html).cards["anchors.time_to_detect_s"] == 120.0  # 21:14:00 (notes) - 21:12:00
    assert "(from notes)" in html and '<td data-label="detail">anchor set in the notes</td>' in html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('titel = "x"', "unknown key 'titel'"),
        ("severity = 1", "severity must be a string"),
        ('[[action_items]]\nowner = "me"', "missing what"),
        ('[[action_items]]\nwhat = "x"\nowners = "me"', "unknown key action_items.owners"),
        ('[[timeline]]\nts = "yesterday"\ntext = "x"', r"timeline\[1\]\.ts is not an ISO-8601 time: 'yesterday'"),
        ("[anchors]\nfixed = 2026-03-14T21:00:00Z", "unknown key anchors.fixed"),
        ("title = ", "not valid TOML"),
    ],
)
def test_bad_notes_name_the_key(tmp_path, text, message):
    path = tmp_path / "n.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_notes(path)


# --- the commands around the report ---------------------------------------------------------------------------


def invoke(runner, *args):
    return runner.invoke(app, [str(a) for a in args])


def test_version_and_format_choices(runner):
    version = invoke(runner, "--version")
    assert version.exit_code == 0 and version.output.startswith("postmortem ")
    bad = invoke(runner, "report", "--format", "pdf")
    assert bad.exit_code == 2 and "Invalid value for '--format'" in bad.output and "Traceback" not in bad.output


def test_notes_template_refuses_to_overwrite(runner, tmp_path):
    out = tmp_path / "incident.toml"
    assert invoke(runner, "notes-template", "-o", out).exit_code == 0
    out.write_text("root_cause = 'filled in'\n")
    again = invoke(runner, "notes-template", "-o", out)
    assert again.exit_code == 1 and "exists; pass --force" in again.output
    assert out.read_text() == "root_cause = 'filled in'\n"
    assert invoke(runner, "notes-template", "-o", out, "--force").exit_code == 0
    assert out.read_text() == TEMPLATE


def test_simulate_refuses_a_folder_that_is_not_empty(runner, tmp_path):
    (tmp_path / "mine.log").write_text("real logs")
    refused = invoke(runner, "simulate", tmp_path, "--listeners", 10)
    assert refused.exit_code == 1 and "is not empty; pass --force" in refused.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.log"]


def test_query_defaults_to_the_incident_and_suggests_names(runner, sample_db):
    result = invoke(runner, "query", "blast_radius", "--format", "json", "--db", sample_db)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["dimension"] for r in rows} == {"edge", "platform", "region"}
    wrong = invoke(runner, "query", "blast_radious", "--db", sample_db)
    assert wrong.exit_code == 1 and "did you mean blast_radius" in wrong.output
    listed = invoke(runner, "query", "--list", "--format", "csv")
    catalogue = listed.stdout.splitlines()
    assert catalogue[0] == "name,answers,parameters,defaults"  # defaults: empty without a database
    assert any(line.startswith("switchover,") for line in catalogue)
    assert (
        commands.query_catalogue().filter(pl.col("name") == "switchover")["parameters"].item()
        == "from_space, window_minutes"
    )


def test_every_query_runs_and_prints_in_every_format(sample_db, capsys):
    """Each query once (`query NAME` is commands.run_query, then cli._print_frame in the format asked): its rows
    printed as a table, as CSV and as JSON. The format is the printer's business, so the database is asked once
    per query, not once per query and format (120 CLI runs took 30 s of the suite)."""
    from postmortem.cli import _print_frame

    for name in queries.names():
        frame = commands.run_query(sample_db, name, {})
        for fmt in ("table", "csv", "json"):
            _print_frame(frame, fmt)
            printed = capsys.readouterr().out
            if fmt == "json":
                assert len(json.loads(printed)) == frame.height, name
            elif fmt == "csv":
                assert len(list(csv.reader(io.StringIO(printed)))) == frame.height + 1, name  # and the header
            else:
                assert all(column in printed for column in frame.columns[:1]), (name, printed[:300])


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_a_query_runs_from_the_command_line_in_every_format(runner, sample_db, fmt):
    result = invoke(runner, "query", "blast_radius", "--format", fmt, "--db", sample_db)
    assert result.exit_code == 0, result.output
    assert "dimension" in result.stdout
    if fmt == "json":
        assert {row["dimension"] for row in json.loads(result.stdout)} == {"edge", "platform", "region"}


def test_timeline_filters_and_one_precision(runner, sample_db):
    result = invoke(
        runner,
        *("timeline", "--since", "2026-03-14T21:13:00Z", "--until", "2026-03-14T21:14:00Z", "--kind", "speaker"),
        *("--display-tz", "America/New_York", "--format", "json", "--db", sample_db),
    )
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)["events"]
    assert events and all(e["kind"].startswith("speaker") for e in events)
    assert all("2026-03-14T21:13:00Z" <= e["ts"] <= "2026-03-14T21:14:00Z" for e in events)
    frame = commands.timeline_frame(
        commands.timeline(sample_db, since="2026-03-14T21:12:00Z", until="2026-03-14T21:12:00Z").events,
        "America/New_York",
    )
    assert frame.row(0, named=True)["when (UTC)"] == "2026-03-14 21:12:00"
    assert frame.row(0, named=True)["when (America/New_York)"] == "2026-03-14 17:12:00 EDT"
    bad = invoke(runner, "timeline", "--since", "soon", "--db", sample_db)
    assert bad.exit_code == 1 and "--since: 'soon' is neither an ISO-8601 time" in bad.output


# --- hostile log text -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_html(tmp_path_factory):
    """A degraded room whose every free-text field carries markup, template syntax or a script."""
    folder = tmp_path_factory.mktemp("hostile")
    room, host = HOSTILE["script"], HOSTILE["img"]
    joins = [
        {"ts": "2024-05-01T12:00:00Z", "space_id": room, "user_id": host, "event": "start", "role": "host"},
        {"ts": "2024-05-01T12:00:00Z", "space_id": room, "user_id": host, "event": "join", "role": "host"},
    ]
    joins += [
        {
            "ts": "2024-05-01T12:00:00Z",
            "space_id": room,
            "user_id": f"{HOSTILE['template']}{i}",
            "event": "join",
            "platform": HOSTILE["script"],
            "region": HOSTILE["img"],
            "edge": HOSTILE["template"],
            HOSTILE["script"]: HOSTILE["img"],
        }
        for i in range(10)
    ]
    joins.append({"ts": "2024-05-01T12:15:00Z", "space_id": room, "user_id": host, "event": "end", "role": "host"})
    glitches = [
        {
            "ts": f"2024-05-01T12:{m}:30Z",
            "space_id": room,
            "user_id": f"{HOSTILE['template']}{i}",
            "glitch": HOSTILE["img"] if m != "12" else "silence",
            "platform": HOSTILE["template"],
            "region": HOSTILE["script"],
            "edge": HOSTILE["img"],
        }
        for m in ("10", "11", "12")
        for i in range(6)
    ]
    errors = [
        {
            "ts": "2024-05-01T12:10:10Z",
            "service": HOSTILE["script"],
            "level": "error",
            "message": HOSTILE["img"] + HOSTILE["template"],
            "code": HOSTILE["template"],
            "space_id": room,
            "server": HOSTILE["img"],
            "user_id": HOSTILE["script"],
        }
    ]
    write_lines(folder / "join.jsonl", joins + ["</script><script>window.__pwned = 3</script>"])
    write_lines(folder / "glitch.jsonl", glitches)
    write_lines(folder / "error.jsonl", errors)
    database = folder / "h.duckdb"
    with db.connect(database) as con:
        ingest(con, [folder])
    notes = folder / "n.toml"
    notes.write_text(f"root_cause = {json.dumps(HOSTILE['script'])}\n")
    path = folder / "hostile.html"
    write_report(database, output=str(path), notes_path=notes)
    return path, database


def test_hostile_text_is_escaped_in_the_html(hostile_html):
    html = hostile_html[0].read_text()
    assert "<script>window.__pwned" not in html
    assert '<img src=x onerror="window.__pwned' not in html
    assert "&lt;/script&gt;&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html  # shown in tables
    assert "{{ 7*7 }}" in html and ">49<" not in html


def test_hostile_text_is_escaped_in_markdown(hostile_html, tmp_path):
    path = tmp_path / "h.md"
    write_report(hostile_html[1], fmt="md", output=str(path))
    text = path.read_text()
    assert "<script" not in text and "<img" not in text
    assert '&lt;img src=x onerror="window.\\_\\_pwned = 2"&gt;' in text


# --- in a real browser ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
        pytest.skip("chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


def open_page(browser, path: Path, width: int = 1100, timezone: str = "UTC"):
    """Open a report from disk; returns the page, its console messages and every request it made."""
    page = browser.new_context(viewport={"width": width, "height": 900}, timezone_id=timezone).new_page()
    messages, requests, dialogs = [], [], []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.on("pageerror", lambda e: messages.append(("pageerror", str(e))))
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_function(
        "[...document.querySelectorAll('.vega')].every(e => e.dataset.rendered || e.dataset.error)",
        timeout=30_000,
    )
    return page, messages, requests, dialogs


@pytest.mark.browser
def test_report_renders_in_chromium_offline(browser, sample_html):
    page, messages, requests, _ = open_page(browser, sample_html)
    charts = page.evaluate(
        "[...document.querySelectorAll('.vega')].map(e => "
        "[e.id, e.dataset.error || null, e.querySelectorAll('svg path, svg rect').length])"
    )
    assert len(charts) == len(CHARTS_IN_SAMPLE)
    for chart_id, error, shapes in charts:
        assert error is None, chart_id
        assert shapes > 10, f"{chart_id} drew nothing"
    assert [m for m in messages if m[0] in ("error", "pageerror", "warning")] == []
    assert requests == [sample_html.as_uri()]  # the page itself and nothing else
    assert "degraded" in page.inner_text("#executive-summary")
    # The first screen (900 px high): the root cause stands above the first chart, which starts on it.
    root, chart = page.evaluate(
        "[document.querySelector('#root-cause').getBoundingClientRect().bottom,"
        " document.querySelector('figure.chart').getBoundingClientRect().top]"
    )
    assert root <= chart < 900, (root, chart)
    # Printed: no heading left alone at the foot of a page, no chart split over two.
    page.emulate_media(media="print")
    styles = page.evaluate(
        "[getComputedStyle(document.querySelector('h2')).breakAfter,"
        " getComputedStyle(document.querySelector('h3')).breakAfter,"
        " getComputedStyle(document.querySelector('figure.chart')).breakInside]"
    )
    assert styles == ["avoid", "avoid", "avoid"]
    page.emulate_media(media="screen")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    page.close()


@pytest.mark.browser
def test_tooltips_say_utc_under_another_zone(browser, sample_html):
    # Item 1: under America/New_York a tooltip labelled "(UTC)" showed 17:12:00 for 21:12 UTC.
    page, _, _, _ = open_page(browser, sample_html, timezone="America/New_York")
    assert page.evaluate("new Date(Date.UTC(2026, 2, 14, 21, 12)).getHours()") == 17  # the zone took effect
    band = page.locator("#chart-timeline_detail path[aria-label*='phase: degraded']").first
    band.scroll_into_view_if_needed()
    box = band.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + 4)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=5_000)
    text = tooltip.inner_text()
    assert "21:12:00" in text and "21:18:00" in text and "17:12:00" not in text, text
    page.close()


@pytest.mark.browser
def test_phone_width_redraws_charts_and_wraps_tables(browser, sample_html):
    # Item 4: at 420 px each chart is drawn for the phone's width (not a wide chart shrunk to 4 px text), the
    # page never scrolls sideways and no table does either (rows wrap into cards); the storm axis names each
    # minute once, through the room's end.
    page, messages, _, _ = open_page(browser, sample_html, width=420)
    assert [m for m in messages if m[0] in ("error", "pageerror", "warning")] == []
    widths = page.evaluate(
        "[...document.querySelectorAll('figure.chart')].map(f => { const s = f.querySelector('svg');"
        " return [f.querySelector('.vega').id, f.getBoundingClientRect().width, s.getBoundingClientRect().width,"
        " Number(s.getAttribute('width'))]; })"
    )
    assert len(widths) == len(CHARTS_IN_SAMPLE)
    for chart_id, figure, shown, drawn in widths:
        assert shown <= figure + 1, (chart_id, shown, figure)
        assert shown >= drawn - 1, f"{chart_id} drawn {drawn} px wide, shrunk to {shown}: its text would shrink"
    sizes = page.evaluate(
        "[...document.querySelectorAll('figure.chart svg text')].filter(t => t.textContent.trim())"
        ".map(t => parseFloat(getComputedStyle(t).fontSize) * t.closest('svg').getBoundingClientRect().width"
        " / Number(t.closest('svg').getAttribute('width')))"
    )
    assert sizes and min(sizes) >= 9, min(sizes)
    assert page.evaluate("document.documentElement.scrollWidth") <= 420
    sideways = page.evaluate(
        "[...document.querySelectorAll('.scroll')].filter(s => s.scrollWidth > s.clientWidth + 1).length"
    )
    assert sideways == 0
    ticks = page.evaluate(
        "[...document.querySelectorAll('#chart-storm .role-axis-label text')].map(t => t.textContent)"
        ".filter(t => /^\\d\\d:\\d\\d$/.test(t))"
    )
    assert len(ticks) == len(set(ticks)) and ticks[0] == "21:00" and ticks[-1] == "21:20", ticks
    # The root cause stands above the first chart on the phone too.
    assert page.evaluate(
        "document.querySelector('#root-cause').getBoundingClientRect().bottom"
        " <= document.querySelector('figure.chart').getBoundingClientRect().top"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-phone.png"), full_page=True)
    page.close()


@pytest.mark.browser
def test_hostile_strings_run_nothing_in_chromium(browser, hostile_html):
    page, messages, requests, dialogs = open_page(browser, hostile_html[0])
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    text = page.inner_text("body")
    assert HOSTILE["script"] in text and HOSTILE["img"] in text and HOSTILE["template"] in text
    assert requests == [hostile_html[0].as_uri()]  # the <img src=x> never loaded
    assert page.evaluate("[...document.querySelectorAll('.vega')].every(e => e.dataset.rendered)")
    svg_text = page.evaluate("[...document.querySelectorAll('.vega svg text')].map(t => t.textContent).join(' ')")
    assert "</script>" in svg_text or "<img" in svg_text
    assert [m for m in messages if m[0] in ("error", "pageerror")] == []
    page.close()


def test_summary_json_has_stable_keys(sample_db):
    with db.connect(sample_db, read_only=True) as con:
        summary = to_json_ready(build_summary(con))
    assert {"spaces", "incident", "switchover", "errors", "glitches", "data_quality", "coverage", "window"} <= set(
        summary
    )
    assert set(summary["incident"]) >= {"space_id", "degraded_at", "phases"}
    assert {"phase", "start", "end"} <= set(summary["incident"]["phases"][0])
    assert set(summary["data_quality"]) >= {"loaded", "rejected", "duplicates"}
    assert summary["missing"] == [] and summary["coverage"]["glitch"]["rows"] == 10727


def test_a_stray_early_event_does_not_squeeze_the_timeline(tmp_path):
    # A room with no start event begins at its first event: one join stamped 2000 made it 24 years long.
    joins = [{"ts": "2000-01-01T00:00:00Z", "space_id": "R", "user_id": "stray", "event": "join"}]
    joins += [{"ts": "2024-05-01T12:00:00Z", "space_id": "R", "user_id": f"u{i}", "event": "join"} for i in range(10)]
    joins += [{"ts": "2024-05-01T12:20:00Z", "space_id": "R", "user_id": f"u{i}", "event": "leave"} for i in range(10)]
    glitches = [
        {"ts": f"2024-05-01T12:{m}:30Z", "space_id": "R", "user_id": f"u{i}", "glitch": "screech"}
        for m in ("10", "11", "12")
        for i in range(6)
    ]
    write_lines(tmp_path / "join.jsonl", joins)
    write_lines(tmp_path / "glitch.jsonl", glitches)
    database = tmp_path / "stray.duckdb"
    with db.connect(database) as con:
        ingest(con, [tmp_path / "join.jsonl", tmp_path / "glitch.jsonl"])
    facts = facts_of(database)
    assert facts["spaces"][0]["started_at"] == datetime(2000, 1, 1, tzinfo=UTC)
    context = report.build_context(facts, {}, Clock(now=FIXED))
    x = context["charts"]["timeline"]["spec"]["vconcat"][1]["layer"][0]["encoding"]["x"]
    # Impact starts at 12:10; the timeline opens an hour before it, not in 2000.
    assert x["scale"]["domainMin"] == int(datetime(2024, 5, 1, 11, 10, tzinfo=UTC).timestamp() * 1000)
    for chart in context["charts"].values():
        for axis_values in _axis_values(chart["spec"]):
            assert len(axis_values) <= 12  # a few ticks whatever the span (not one a day for 24 years)


def _axis_values(node):
    if isinstance(node, dict):
        if isinstance(node.get("axis"), dict) and "values" in node["axis"]:
            yield node["axis"]["values"]
        for v in node.values():
            yield from _axis_values(v)
    elif isinstance(node, list):
        for v in node:
            yield from _axis_values(v)


# --- the first screen (issue 20 item 1) -------------------------------------------------------------------


def test_first_screen_title_impact_and_leads(context):
    # The host and the day, not the room id; impact in one line; what the logs point at until notes say.
    assert context["title"] == "Audio failure in u-host's room on 2026-03-14"
    # 963 users in sp-main during 21:12-21:28; 928 of them reported; 600 of 1,000 listeners followed.
    assert context["impact"] == (
        "963 users affected for 16 min (21:12 UTC – 21:28 UTC); 928 reported a glitch; "
        "600 of 1,000 listeners (60%) followed to the replacement room."
    )
    assert context["leads"][0].startswith("first error naming the room: audio-relay at 21:12:45 UTC, 46 s after onset")


def test_root_cause_and_action_items_stand_above_the_first_chart(sample_db, tmp_path):
    notes = tmp_path / "n.toml"
    notes.write_text(FILLED_NOTES)
    path = tmp_path / "r.html"
    write_report(sample_db, output=str(path), notes_path=notes)
    html = path.read_text()
    first_chart = html.index('<figure class="chart')
    root_cause = html.index('id="root-cause"')
    assert root_cause < html.index("relay-07 ran out of memory", root_cause) < first_chart
    assert html.index('id="action-items"') < html.index("Alert on glitch share per room") < first_chart
    assert html.index('id="impact"') < first_chart and html.index("<nav") > first_chart  # contents below
    assert 'data-figure="overview"' in html[first_chart : first_chart + 200]


def test_action_items_carry_tickets_and_only_web_links(facts):
    notes = {
        "action_items": [
            {"what": "a", "owner": "o", "bug": "https://bugs.example/1", "type": "prevent", "due": "", "status": ""},
            {"what": "b", "owner": "o", "bug": "javascript:alert(1)", "type": "mitigate", "due": "", "status": ""},
            {"what": "c", "owner": "o", "bug": "OPS-7", "due": "", "status": ""},
            {"what": "d", "owner": "o", "due": "", "status": ""},
        ]
    }
    context = report.build_context(facts, notes, Clock(now=FIXED))
    rows = context["action_items"]
    assert [(r["bug"], r["bug_url"], r["type"]) for r in rows] == [
        ("https://bugs.example/1", "https://bugs.example/1", "prevent"),
        ("javascript:alert(1)", "", "mitigate"),
        ("OPS-7", "", ""),
        ("", "", ""),
    ]
    assert len(context["top_action_items"]) == report.FIRST_SCREEN_ACTIONS == 3
    html = render.render_html(context)
    assert '<a href="https://bugs.example/1"' in html and 'href="javascript' not in html
    assert 'href="#all-action-items">all 4 action items' in html


def test_notes_key_events_are_drawn_in_the_time_charts(facts, tmp_path):
    notes_path = tmp_path / "n.toml"
    notes_path.write_text(
        FILLED_NOTES + '\n[anchors]\ndetected = "2026-03-14T21:14:00Z"\nresolved = 2026-03-14T21:30:00Z\n'
    )
    notes = load_notes(notes_path)
    noted = commands.add_notes(dict(facts, evidence=dict(facts["evidence"])), notes)  # a copy: the fixture is shared
    context = report.build_context(noted, notes, Clock(now=FIXED))
    for name in ("overview", "timeline", "timeline_detail"):
        strip = context["charts"][name]["spec"]["vconcat"][0]
        labels = {m["label"] for m in strip["layer"][0]["data"]["values"]}
        assert {"Incident declared in #incident-audio", "detected (notes)"} <= labels, name
    # The detail view spans impact start - 2 min to impact end + 2 min: the notes' resolved at 21:30 is in it.
    labels = {
        m["label"] for m in context["charts"]["timeline_detail"]["spec"]["vconcat"][0]["layer"][0]["data"]["values"]
    }
    assert "resolved (notes)" in labels


# --- figures that mislead (issue 20 item 2): each with the test that would have caught it -----------------


def _chart_nodes(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _chart_nodes(v)
    elif isinstance(node, list):
        for v in node:
            yield from _chart_nodes(v)


def test_peak_card_is_the_peak_drawn_on_the_timeline(context, facts):
    # The card said "most present at once" while the line (present at any moment of the minute) peaked
    # higher under an axis titled "users present": the card's number is now drawn as a point, and the line's
    # axis says what it counts.
    cards = cards_by_key(context)
    for chart in ("overview", "timeline"):
        spec = context["charts"][chart]["spec"]
        peaks = {
            v["room"]: v["peak_concurrent"]
            for n in _chart_nodes(spec)
            if isinstance(n.get("data"), dict)
            for v in n["data"].get("values", [])
            if "peak_concurrent" in v
        }
        # sp-rescue peaks at 21:59, after the timeline's span (it ends a margin after impact): not drawn.
        assert peaks == {"sp-main (failed)": cards["spaces.sp-main.peak_concurrent"]["value"]}
        titles = [n["y"]["title"] for n in _chart_nodes(spec) if isinstance(n.get("y"), dict) and "title" in n["y"]]
        assert charts.PRESENT_TITLE in titles and "users present" not in titles
    line_max = max(r["present_users"] for r in facts["evidence"]["timeline"] if r["space_id"] == "sp-main")
    assert line_max >= cards["spaces.sp-main.peak_concurrent"]["value"] == 943
    assert cards["spaces.sp-main.peak_concurrent"]["note"].startswith("users present at the same moment")


def _with_anchors(facts: dict, **changes) -> dict:
    return {**facts, "anchors": {**facts["anchors"], **changes}}


def test_an_error_before_onset_is_not_called_after_it(facts):
    # "First error logged after onset: −1 min 59 s" read as a contradiction.
    context = report.build_context(_with_anchors(facts, time_to_detect_s=-119.0), {}, Clock(now=FIXED))
    card = cards_by_key(context)["anchors.time_to_detect_s"]
    assert card["label"] == "First error logged before onset"
    assert card["display"] == "1 min 59 s" and card["value"] == -119.0  # the JSON keeps the sign
    assert "after" not in card["label"] and "−" not in card["display"]


def test_time_to_mitigate_and_customer_impact_are_each_captioned_or_one_card(facts, context):
    # Both read "24 min 40 s" on the 20k simulation, the second with no caption.
    cards = cards_by_key(context)
    # The sample: impact 21:12, replacement started 21:25:30, recovered 21:28.
    assert cards["anchors.time_to_mitigate_s"]["note"] == "21:12 UTC → 21:25 UTC: the replacement room started"
    assert (
        cards["anchors.impact_duration_s"]["note"]
        == "21:12 UTC → 21:28 UTC: resolved: the replacement's audio recovered"
    )
    same = _with_anchors(facts, impact_duration_s=facts["anchors"]["time_to_mitigate_s"])
    cards = cards_by_key(report.build_context(same, {}, Clock(now=FIXED)))
    assert "anchors.time_to_mitigate_s" not in cards
    assert cards["anchors.impact_duration_s"]["label"] == "Customer impact = time to mitigate"
    for card in report.build_context(facts, {}, Clock(now=FIXED))["cards"]:
        assert card["note"], card["label"]  # every figure says what it counts


def test_reconnect_storm_has_no_second_axis_that_is_always_zero(facts):
    calm = [{**r, "users_with_3_plus_rejoins": 0} for r in facts["evidence"]["storm"]]
    quiet = {**facts, "evidence": {**facts["evidence"], "storm": calm}}
    context = report.build_context(quiet, {}, Clock(now=FIXED))
    spec = context["charts"]["storm"]["spec"]
    fields = {n["y"]["field"] for n in _chart_nodes(spec) if isinstance(n.get("y"), dict) and "field" in n["y"]}
    assert fields == {"rejoins"}
    assert context["storm_note"].startswith("No user rejoined three or more times")


def test_glitch_table_says_which_room_it_counts(context, sample_html):
    assert context["glitch_scope"].startswith("Glitch reports in sp-main (the failed room)")
    html = sample_html.read_text()
    assert html.index('id="glitch-scope"') < html.index("<th>glitch</th>")


def test_phase_legend_lists_only_phases_that_occurred_in_distinct_colours(facts):
    two = [p for p in facts["incident"]["phases"] if p["phase"] in ("healthy", "degraded")]
    trimmed = {**facts, "incident": {**facts["incident"], "phases": two}}
    spec = report.build_context(trimmed, {}, Clock(now=FIXED))["charts"]["timeline"]["spec"]
    (domain,) = [n["scale"]["domain"] for n in _chart_nodes(spec) if n.get("field") == "phase" and "scale" in n]
    assert domain == ["healthy", "degraded"]

    def rgb(hex_colour):
        return [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]

    colours = list(charts.PHASE_COLORS.values())
    for i, a in enumerate(colours):
        for b in colours[i + 1 :]:
            # Euclidean RGB distance: healthy #d9f0d3 and recovered #e5f5e0 were 18 apart.
            assert sum((x - y) ** 2 for x, y in zip(rgb(a), rgb(b), strict=True)) ** 0.5 > 60, (a, b)


def test_rooms_are_coloured_by_role_not_by_name(facts):
    # Rename so that the failed room sorts after its replacement: colours must not follow.
    rename = {"sp-main": "zz-failed", "sp-rescue": "aa-rescue"}

    def swap(value):
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return rename.get(value, value) if isinstance(value, str) else value

    spec = report.build_context(swap(facts), {}, Clock(now=FIXED))["charts"]["timeline"]["spec"]
    scales = [n["scale"] for n in _chart_nodes(spec) if n.get("field") == "room" and "scale" in n]
    assert scales and all(s["domain"] == ["zz-failed (failed)", "aa-rescue (replacement)"] for s in scales)
    assert all(s["range"] == charts.ROOM_COLORS for s in scales)


def test_contributing_factors_count_errors_that_began_just_before_onset(tmp_path):
    # The 20k simulation: relay errors began 1 min 59 s before the glitches, so they sat in their own
    # baseline and only the edge gateway (a symptom) was named.
    joins = [{"ts": "2024-05-01T12:00:00Z", "space_id": "R", "user_id": "h", "event": "start", "role": "host"}]
    joins += [{"ts": "2024-05-01T12:00:00Z", "space_id": "R", "user_id": f"u{i}", "event": "join"} for i in range(10)]
    joins += [{"ts": "2024-05-01T12:20:00Z", "space_id": "R", "user_id": "h", "event": "end", "role": "host"}]
    glitches = [
        {"ts": f"2024-05-01T12:{m}:30Z", "space_id": "R", "user_id": f"u{i}", "glitch": "screech"}
        for m in ("10", "11", "12")
        for i in range(6)
    ]
    # A routine baseline (so the service dimension can be compared) and 12 relay errors from 12:09 (1 min
    # before onset at 12:10) to 12:10:50: 6 before onset, 6 after.
    errors = [
        {"ts": f"2024-05-01T12:0{m}:00Z", "service": "chat", "level": "warn", "message": "slow", "space_id": "R"}
        for m in range(1, 9)
    ]
    errors += [
        {"ts": f"2024-05-01T12:{m}:{s}0Z", "service": "relay", "level": "error", "message": "oom", "space_id": "R"}
        for m in ("09", "10")
        for s in range(6)
    ]
    for name, rows in (("join", joins), ("glitch", glitches), ("error", errors)):
        write_lines(tmp_path / f"{name}.jsonl", rows)
    database = tmp_path / "lead.duckdb"
    with db.connect(database) as con:
        ingest(con, [tmp_path / f"{n}.jsonl" for n in ("join", "glitch", "error")])
    facts = facts_of(database)
    assert facts["anchors"]["impact_start"] == datetime(2024, 5, 1, 12, 10, tzinfo=UTC)
    relay = [r for r in facts["evidence"]["factors"] if (r["dimension"], r["value"]) == ("service", "relay")]
    # All 12 in the window (it opens FACTOR_LEAD_MINUTES = 3 before onset); none before it: new in the window.
    assert relay and relay[0]["window_records"] == 12 and relay[0]["new_in_window"]


def test_funnel_steps_are_subsets(tmp_path):
    # "100% -> 56% -> 44% -> 60%": listeners present at the end were a step, yet some who left before the
    # end followed too. Here a and b leave F early and follow; only c is present when F ends.
    joins = [
        {"ts": "2024-05-01T12:00:00Z", "space_id": "F", "user_id": "h", "event": "start", "role": "host"},
        {"ts": "2024-05-01T12:00:00Z", "space_id": "F", "user_id": "h", "event": "join", "role": "host"},
    ]
    joins += [
        {"ts": "2024-05-01T12:01:00Z", "space_id": "F", "user_id": u, "event": "join", "role": "listener"}
        for u in "abc"
    ]
    joins += [{"ts": "2024-05-01T12:05:00Z", "space_id": "F", "user_id": u, "event": "leave"} for u in "ab"]
    joins += [
        {"ts": "2024-05-01T12:10:00Z", "space_id": "F", "user_id": "h", "event": "end", "role": "host"},
        {"ts": "2024-05-01T12:12:00Z", "space_id": "T", "user_id": "h", "event": "start", "role": "host"},
        {"ts": "2024-05-01T12:12:00Z", "space_id": "T", "user_id": "h", "event": "join", "role": "host"},
    ]
    joins += [
        {"ts": f"2024-05-01T12:{m}:00Z", "space_id": "T", "user_id": u, "event": "join", "role": "listener"}
        for u, m in (("a", "13"), ("b", "20"), ("c", "30"))
    ]
    joins += [{"ts": "2024-05-01T12:40:00Z", "space_id": "T", "user_id": "h", "event": "end", "role": "host"}]
    with db.connect(":memory:") as con:
        ingest(con, [write_lines(tmp_path / "join.jsonl", joins)])
        db.cache_derived(con)
        steps = queries.run(con, "funnel", from_space="F", to_space="T").to_dicts()
    # 3 listeners; all 3 followed; a (12:13) and b (12:20) within 15 min of T's start (12:12); a within 5.
    assert [s["listeners"] for s in steps] == [3, 3, 2, 1]
    assert all(a["listeners"] >= b["listeners"] for a, b in zip(steps, steps[1:], strict=False))


@pytest.fixture(scope="module")
def months_of_errors(tmp_path_factory):
    """An error log over seven months, a few records a week, no server column and no burst."""
    folder = tmp_path_factory.mktemp("months")
    rows = [
        {"ts": f"2025-{month:02d}-{day:02d}T0{hour}:00:00Z", "service": "api", "level": "error", "message": "boom"}
        for month in range(1, 8)
        for day in (3, 10, 17, 24)
        for hour in (1, 5)
    ]
    database = folder / "m.duckdb"
    with db.connect(database) as con:
        ingest(con, [write_lines(folder / "error.jsonl", rows)], kind="error")
    return facts_of(database)


def test_months_of_errors_draw_day_buckets_and_name_the_span(months_of_errors):
    facts = months_of_errors
    assert facts["error_burst"] is None
    # 2025-01-03 01:00 to 2025-07-24 05:00 is 202 days: 4,857 hours > 400, so buckets of a day (202 <= 400).
    rate = facts["evidence"]["error_rate"]
    assert {r["bucket_seconds"] for r in rate} == {86400}
    assert len(rate) == 7 * 4  # one bucket a day with errors: 4 days a month for 7 months
    context = report.build_context(facts, {}, Clock(now=FIXED))
    spec = context["charts"]["error_rate"]["spec"]
    assert spec["vconcat"][0]["title"] == "Error-level records per day"
    # Not "incident window —": the header says what the logs cover.
    assert context["window_label"] == "logs cover"
    assert context["window"] == "2025-01-03 01:00 UTC – 2025-07-24 05:00 UTC"
    assert context["title"] == "Errors from 2025-01-03 to 2025-07-24"
    # No record names a server: not "0 servers".
    assert facts["evidence"]["top_messages"][0]["servers"] is None
    assert context["tables"]["top_messages"][0]["servers"] == "not logged"


def test_switchover_says_how_long_followers_took(context, sample_html):
    # time_to_follow on the sample: 600 followers, median 442.8 s, p90 853.9 s, 270.4 s to 1,592.8 s.
    assert context["switchover"]["time_to_follow"] == (
        "median 7 min 23 s, 90th percentile 14 min 14 s (fastest 4 min 30 s, slowest 26 min 33 s)"
    )
    assert '<span id="time-to-follow">median 7 min 23 s' in sample_html.read_text()
