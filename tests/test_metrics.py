"""Metrics exports (issue 19): each format recognised by content and loaded with exact counts, computed here by
an independent reading of the file (Python's json/csv/re, not DuckDB)."""

import csv
import json
import math
import re
from pathlib import Path

import pytest
from test_report import ARTIFACTS, browser, open_page  # noqa: F401  (browser: the Chromium fixture)

from postmortem import db
from postmortem.ingest import ingest
from postmortem.metrics import read

DATA = Path(__file__).parent / "data" / "metrics"


def _loaded(con, name: str) -> dict:
    (result,) = ingest(con, [DATA / name]).files
    return result


def _finite(text) -> bool:
    try:
        return math.isfinite(float(text))
    except (TypeError, ValueError):
        return False


def expected_exposition(path: Path) -> dict:
    """The exposition text by a line-by-line reading: blank and `#` lines hold no point; a sample is
    `name{labels} value [timestamp]`; it loads with a timestamp and a finite value."""
    lines = path.read_text().splitlines()
    counts = {"lines": len(lines), "blank": 0, "loaded": 0, "no_ts": 0, "not_finite": 0}
    for line in lines:
        if not line.strip() or line.startswith("#"):
            counts["blank"] += 1
            continue
        rest = re.sub(r"\{.*\}", "", line).split()
        if len(rest) < 3:
            counts["no_ts"] += 1
        elif not _finite(rest[1]):
            counts["not_finite"] += 1
        else:
            counts["loaded"] += 1
    return counts


def test_exposition_text_counts_match_an_independent_reading(con):
    want = expected_exposition(DATA / "exposition.prom")
    # the Prometheus docs' example: 36 lines; 2 samples carry a timestamp, `something_weird` is +Inf
    assert want == {"lines": 36, "blank": 16, "loaded": 2, "no_ts": 17, "not_finite": 1}
    got = _loaded(con, "exposition.prom")
    assert (got.kind, got.format) == ("metric", "prometheus-text")
    assert (got.lines_read, got.blank, got.loaded, got.rejected) == (36, 16, 2, 18)
    assert dict(got.top_reasons) == {"no timestamp": 17, "value is not finite (NaN or Inf)": 1}
    rows = con.sql(
        "select name, labels::varchar, epoch_ms(ts), value, type from metric_points order by value"
    ).fetchall()
    assert rows == [
        ("http_requests_total", '{"code":"400","method":"post"}', 1395066363000, 3.0, "counter"),
        ("http_requests_total", '{"code":"200","method":"post"}', 1395066363000, 1027.0, "counter"),
    ]


def test_an_escaped_label_value_is_unescaped(con, tmp_path):
    path = tmp_path / "scrape.prom"
    path.write_text('# TYPE f gauge\nf{path="C:\\\\DIR",error="no \\"x\\"\\nthere"} 1.5 1395066363000\n')
    _loaded(con, path)
    labels = json.loads(con.sql("select labels from metric_points").fetchall()[0][0])
    assert labels == {"path": "C:\\DIR", "error": 'no "x"\nthere'}


def test_openmetrics_timestamps_are_seconds(con, tmp_path):
    path = tmp_path / "scrape.txt"
    path.write_text('# TYPE rpc_requests counter\nrpc_requests_total{service="a"} 22.0 1726839813.5\n# EOF\n')
    got = _loaded(con, path)
    assert (got.format, got.loaded) == ("prometheus-text", 1)
    assert con.sql("select epoch_ms(ts), type from metric_points").fetchall() == [(1726839813500, "counter")]


@pytest.mark.parametrize("name", ["prometheus_query_range.json", "prometheus_query.json"])
def test_prometheus_api_json_counts_match_an_independent_reading(con, name):
    doc = json.loads((DATA / name).read_text())
    result = doc["data"]["result"]
    pairs = [p for s in result for p in (s["values"] if "values" in s else [s["value"]])]
    got = _loaded(con, name)
    assert (got.kind, got.format) == ("metric", "prometheus-json")
    assert got.loaded == len(pairs) == (6 if "range" in name else 2)  # 2 series x 3 points; 2 series x 1 point
    series = con.sql("select count(distinct (name, labels)) from metric_points").fetchall()[0][0]
    assert series == len(result) == 2
    points = sorted(
        con.sql("select labels->>'instance', epoch_ms(ts), value from metric_points").fetchall(), key=lambda r: r[:2]
    )
    want = sorted(
        (s["metric"]["instance"], round(float(t) * 1000), float(v))
        for s in result
        for t, v in (s["values"] if "values" in s else [s["value"]])
    )
    assert points == want


def test_otlp_metrics_json_counts_match_an_independent_reading(con):
    doc = json.loads((DATA / "otlp_metrics.json").read_text())
    metrics = [m for rm in doc["resourceMetrics"] for sm in rm["scopeMetrics"] for m in sm["metrics"]]
    # a gauge or sum point is one point; a histogram point is two (NAME_count, NAME_sum)
    want = sum(
        len(m[k]["dataPoints"]) * (2 if k == "histogram" else 1)
        for m in metrics
        for k in m
        if k in ("gauge", "sum", "histogram")
    )
    got = _loaded(con, "otlp_metrics.json")
    assert (got.format, got.loaded, got.rejected) == ("otlp-metrics", want, 0)
    assert want == 4  # 1 sum + 1 gauge + 1 histogram x 2
    rows = con.sql("select name, value, type, labels->>'service.name' from metric_points order by name").fetchall()
    assert rows == [
        ("my.counter", 5.0, "gauge", "my.service"),  # a delta sum (temporality 1): the amount itself
        ("my.gauge", 10.0, "gauge", "my.service"),
        ("my.histogram_count", 3.0, "gauge", "my.service"),
        ("my.histogram_sum", 3.0, "gauge", "my.service"),
    ]
    assert con.sql("select distinct epoch_us(ts) from metric_points").fetchall() == [(1544712660300000,)]


def _grafana_cells(path: Path) -> tuple[int, int]:
    rows = list(csv.reader(path.read_text().splitlines(), delimiter=";"))
    header, body = rows[0], rows[1:]
    if header[0] == "Series":
        values = [r[2] for r in body]
    else:
        values = [v for r in body for v in r[1:]]
    return sum(v not in ("null", "") for v in values), sum(v in ("null", "") for v in values)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("grafana_series_as_rows.csv", "grafana-rows"), ("grafana_series_as_columns.csv", "grafana-columns")],
)
def test_grafana_csv_counts_match_an_independent_reading(con, name, fmt):
    valid, gaps = _grafana_cells(DATA / name)
    assert (valid, gaps) == ((7, 3) if fmt == "grafana-rows" else (7, 5))  # the columns form pads every row
    got = _loaded(con, name)
    assert (got.format, got.loaded, got.rejected) == (fmt, valid, gaps)
    assert dict(got.top_reasons) == {"no value": gaps}
    # series_1 at 1500026600 s = 2017-07-14 10:03:20 UTC is 6
    assert con.sql(
        "select value from metric_points where name = 'series_1' and ts = '2017-07-14 10:03:20+00'"
    ).fetchall() == [(6.0,)]


def test_the_same_points_from_two_exports_are_loaded_once(con):
    _loaded(con, "grafana_series_as_columns.csv")
    again = _loaded(con, "grafana_series_as_rows.csv")  # the same 7 points, series as rows
    assert (again.loaded, again.duplicates) == (0, 7)
    assert con.sql("select count(*) from metric_points").fetchall()[0][0] == 7


def test_a_file_loaded_before_is_not_read_again(con):
    _loaded(con, "prometheus_query_range.json")
    assert _loaded(con, "prometheus_query_range.json").status == "already loaded"
    assert con.sql("select count(*) from metric_points").fetchall()[0][0] == 6


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ('{"status":"success","data":{"resultType":"matrix","result":[]}}', "prometheus-json"),
        ('{"resourceMetrics":[]}', "otlp-metrics"),
        ("# TYPE x gauge\nx 1 1700000000000\n", "prometheus-text"),
        ('"Time","cpu"\n2024-05-01 10:00:00,0.5\n', "grafana-columns"),
        ("time,service,level,message\n2024-05-01T10:00:00Z,api,error,boom\n", None),  # an error log
        ('{"ts":"2024-05-01T10:00:00Z","level":"error","message":"x"}\n', None),
        ('{"resourceLogs":[]}', None),
        ("2024-05-01 10:00:00 INFO started\n", None),
    ],
)
def test_recognised_by_content(text, fmt):
    assert read.sniff(text.encode()) == fmt


def test_kind_metric_refuses_a_file_that_is_not_an_export(tmp_path, runner):
    from postmortem.cli import app

    path = tmp_path / "app.log"
    path.write_text("2024-05-01 10:00:00 INFO started\n")
    result = runner.invoke(app, ["ingest", str(path), "--kind", "metric", "--db", str(tmp_path / "x.duckdb")])
    assert result.exit_code == 1
    assert "not a metrics export" in result.output and "Traceback" not in result.output


def test_a_grafana_time_without_offset_is_read_in_the_given_zone(tmp_path):
    path = tmp_path / "panel.csv"
    path.write_text('"Time","cpu"\n2024-05-01 10:00:00,0.5\n')
    with db.connect(":memory:") as con:
        ingest(con, [path], tz="Europe/Paris")
        assert con.sql("select ts::varchar from metric_points").fetchall() == [("2024-05-01 08:00:00+00",)]


# --- change points on the simulated incident (simulate --metrics plants the truth) ---


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    """A small simulation with metrics.json, ingested; its JSON summary and truth."""
    from postmortem.simulate import simulate
    from postmortem.summary import build_summary, to_json_ready

    folder = tmp_path_factory.mktemp("sim")
    simulate(folder / "logs", listeners=200, seed=5, metrics=True)
    truth = json.loads((folder / "logs" / ".truth.json").read_text())
    with db.connect(folder / "sim.duckdb", threads=2) as con:
        ingest(con, [folder / "logs"])
        db.cache_derived(con)
        summary = to_json_ready(build_summary(con))
    return summary, truth, folder / "sim.duckdb"


def _series(summary: dict, planted: dict) -> dict:
    (found,) = [m for m in summary["metrics"] if (m["name"], m["labels"]) == (planted["name"], planted["labels"])]
    return found


def test_the_simulated_export_loads_every_point(simulated):
    summary, truth, _ = simulated
    # 3 series x 445 points: every 15 s from 20:00:00 to 21:51:00 inclusive (111 min x 4 + 1)
    assert truth["metrics"]["points"] == 3 * (111 * 4 + 1) == 1335
    assert summary["data_quality"]["loaded"]["metric"] == 1335


def test_the_leading_series_is_found_six_minutes_before_the_onset(simulated):
    summary, truth, _ = simulated
    assert summary["anchors"]["impact_start"] == "2026-03-14T21:12:00Z" == truth["onset"].replace(".000", "")
    leading = _series(summary, truth["metrics"]["leading"])
    # planted: a step at onset - 6 min = 21:06:00; lead = 21:12:00 - 21:06:00 = 360 s
    assert leading["changed_at"] == "2026-03-14T21:06:00Z"
    assert (leading["direction"], leading["lead_seconds"]) == ("up", 360.0)
    assert leading["size"] == pytest.approx(0.92 - 0.35, abs=0.02)
    # held above the baseline's p99.9 from 21:06 for 5 minutes: fires at 21:11, before the first error (21:12:45.x)
    assert leading["alert_at"] == "2026-03-14T21:11:00Z"
    assert 100 < leading["alert_before_first_error_s"] < 110
    assert summary["metrics"][0]["name"] == "node_cpu_utilisation"  # leading series first


def test_the_lagging_series_is_found_after_the_onset(simulated):
    summary, truth, _ = simulated
    lagging = _series(summary, truth["metrics"]["lagging"])
    # planted: streams drop when the relay dies, onset + 5 min = 21:17:00; lead = 21:12 - 21:17 = -300 s
    assert (lagging["changed_at"], lagging["direction"], lagging["lead_seconds"]) == (
        "2026-03-14T21:17:00Z",
        "down",
        -300.0,
    )


def test_a_steady_counter_with_a_reset_does_not_change(simulated):
    summary, truth, _ = simulated
    steady = _series(summary, truth["metrics"]["steady_counter"])
    assert (steady["type"], steady["status"], steady["changed_at"], steady["lead_seconds"]) == (
        "counter",
        "steady",
        None,
        None,
    )
    # its rate, not its value, is judged: 50 requests a second (750 +- 45 per 15 s)
    assert steady["baseline_median"] == pytest.approx(50, abs=1)


def test_every_series_in_the_json_summary_has_the_contract_fields(simulated):
    summary, _, _ = simulated
    assert len(summary["metrics"]) == 3
    for m in summary["metrics"]:
        assert isinstance(m["name"], str) and isinstance(m["labels"], dict)
        assert m["changed_at"] is None or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m["changed_at"])
        assert (m["lead_seconds"] is None) == (m["changed_at"] is None)


def test_a_counter_rate_counts_a_reset_as_a_restart_from_zero(con):
    con.execute(
        """insert into metric_points values
        (1, 'c_total', '{}', '2026-01-01 00:00:00+00', 100, 'counter'),
        (1, 'c_total', '{}', '2026-01-01 00:00:30+00', 130, 'counter'),
        (1, 'c_total', '{}', '2026-01-01 00:01:00+00', 160, 'counter'),
        (1, 'c_total', '{}', '2026-01-01 00:01:30+00', 12, 'counter')"""
    )
    rows = con.sql("select minute::varchar, value from metric_minutes order by minute").fetchall()
    # minute 0: +30 over 30 s = 1/s; minute 1: (+30 then a reset to 12, counted as +12) over 60 s = 42/60 = 0.7/s
    assert rows == [("2026-01-01 00:00:00+00", 1.0), ("2026-01-01 00:01:00+00", 0.7)]


@pytest.mark.parametrize("name", ["metric_points", "metric_changes"])
def test_the_named_metric_queries_run_with_the_incident_defaults(simulated, name):
    from postmortem.commands import run_query

    _, _, path = simulated
    frame = run_query(path, name, {})
    # metric_points: 3 series; the two gauges have a value in each of the 112 minutes 20:00..21:51, the counter
    # none in its first minute (no rate from one point... its first minute has 4 points, so 3 rates): 3 x 112
    assert frame.height == (3 * 112 if name == "metric_points" else 3)


# --- the report ---


def test_the_report_names_the_leading_series_and_tabulates_each(simulated):
    from postmortem import commands, report
    from postmortem.human_times import Clock

    _, _, path = simulated
    facts = commands.load_facts(path)
    context = report.build_context(facts, {}, Clock())
    # first error logged 21:12:45.x after the change at 21:06:00: 6 min 45.x s, shown rounded to 6 min 46 s
    assert context["executive_summary"].endswith(
        ' Metric node_cpu_utilisation{instance="relay-07",job="node"} rose 6 min 00 s before the onset and'
        " 6 min 46 s before the first error was logged."
    )
    rows = context["metrics"]["rows"]
    assert [r["series"].split("{")[0] for r in rows] == [
        "node_cpu_utilisation",
        "relay_active_streams",
        "http_requests_total",
    ]
    assert [r["lead"] for r in rows] == ["6 min 00 s before the onset", "5 min 00 s after the onset", "—"]
    assert rows[0]["alert_at"] == "21:11:00 UTC"
    assert ("metrics", "Metrics: what moved first") in context["toc"]
    assert [g["term"] for g in context["glossary"][-2:]] == ["metric change point", "alert what-if"]
    spec = context["charts"]["metrics"]["spec"]
    assert len(spec["vconcat"]) == 3  # one panel per series, leading first
    html = commands.render.render_html(context)
    assert 'id="metrics"' in html and 'data-chart="chart-metrics"' in html
    md = commands.render.render_markdown(context, None)
    assert "## Metrics: what moved first" in md
    assert '| node\\_cpu\\_utilisation\\{instance="relay-07",job="node"\\} | changed | up | 21:06:00 UTC |' in md


def test_a_report_without_metrics_has_no_metrics_section(sample_db):
    from postmortem import commands, report
    from postmortem.human_times import Clock

    facts = commands.load_facts(sample_db)
    assert facts["metrics"] == []
    context = report.build_context(facts, {}, Clock())
    assert context["metrics"] is None and "metrics" not in context["charts"]
    assert "Metric " not in context["executive_summary"]
    assert all(key != "metrics" for key, _ in context["toc"])
    assert "metric change point" not in [g["term"] for g in context["glossary"]]
    assert 'id="metrics"' not in commands.render.render_html(context, static=True)


def test_a_lake_refuses_a_metrics_export_and_publishes_nothing(tmp_path, runner):
    from postmortem.cli import app

    lake = tmp_path / "lake"
    args = ["ingest", str(DATA / "prometheus_query_range.json"), "--lake", str(lake)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "cannot go into a lake yet" in result.output
    assert not list(lake.rglob("*.parquet"))  # no table of the lake got a file


def test_a_cut_off_export_is_a_one_line_error_and_loads_nothing(tmp_path, runner):
    from postmortem.cli import app

    path = tmp_path / "range.json"
    path.write_text((DATA / "prometheus_query_range.json").read_text()[:400])  # cut inside the first series
    database = tmp_path / "x.duckdb"
    result = runner.invoke(app, ["ingest", str(path), "--db", str(database)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: ") and "prometheus-json" in result.output
    assert len(result.output.strip().splitlines()) == 1
    with db.connect(database, read_only=True) as con:
        assert con.sql("select count(*) from files").fetchall() == [(0,)]


def test_a_label_given_twice_is_a_reject(con, tmp_path):
    path = tmp_path / "scrape.prom"
    path.write_text('# TYPE g gauge\ng{a="1",a="2"} 1 1395066363000\ng{a="1"} 2 1395066363000\n')
    got = _loaded(con, path)
    assert (got.loaded, got.rejected, dict(got.top_reasons)) == (1, 1, {"a label is given twice": 1})


def test_metric_changes_runs_from_the_command_line_without_an_incident(tmp_path, runner):
    from postmortem.cli import app

    database = tmp_path / "m.duckdb"
    assert (
        runner.invoke(app, ["ingest", str(DATA / "prometheus_query_range.json"), "--db", str(database)]).exit_code == 0
    )
    result = runner.invoke(app, ["query", "metric_changes", "--db", str(database), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    # 2 series of 3 points over 30 s: 2 baseline minutes each (20:10, 20:11), fewer than 10: neither is judged
    assert [r["status"] for r in rows] == ["too little baseline", "too little baseline"]
    sql = runner.invoke(
        app, ["sql", "select count(*) as n from metric_minutes", "--db", str(database), "--format", "csv"]
    )
    assert sql.exit_code == 0 and sql.output.split() == ["n", "4"]  # 2 series x 2 minutes (20:10, 20:11)


def test_otlp_json_lines_with_int_points_and_a_cumulative_sum(con, tmp_path):
    """The collector's file exporter writes one request per line; asInt is a string in OTLP JSON."""

    def request(t_ns: int, total: str, level: float) -> str:
        sum_point = {
            "asInt": total,
            "timeUnixNano": str(t_ns),
            "attributes": [{"key": "k", "value": {"intValue": "7"}}],
        }
        return json.dumps(
            {
                "resourceMetrics": [
                    {
                        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "relay"}}]},
                        "scopeMetrics": [
                            {
                                "metrics": [
                                    {
                                        "name": "frames",
                                        "sum": {
                                            "aggregationTemporality": 2,
                                            "isMonotonic": True,
                                            "dataPoints": [sum_point],
                                        },
                                    },
                                    {
                                        "name": "cpu",
                                        "gauge": {"dataPoints": [{"asDouble": level, "timeUnixNano": t_ns}]},
                                    },
                                ]
                            }
                        ],
                    }
                ]
            }
        )

    path = tmp_path / "otel-metrics.jsonl"
    path.write_text(
        request(1_700_000_000_000_000_000, "10", 0.5) + "\n" + request(1_700_000_015_000_000_000, "25", 0.7) + "\n"
    )
    got = _loaded(con, path)
    assert (got.format, got.loaded, got.rejected) == ("otlp-metrics", 4, 0)  # 2 lines x (1 sum + 1 gauge) points
    rows = con.sql("select name, labels::varchar, value, type from metric_points order by name, ts").fetchall()
    assert rows == [
        ("cpu", '{"service.name":"relay"}', 0.5, "gauge"),
        ("cpu", '{"service.name":"relay"}', 0.7, "gauge"),
        ("frames", '{"k":"7","service.name":"relay"}', 10.0, "counter"),
        ("frames", '{"k":"7","service.name":"relay"}', 25.0, "counter"),
    ]


def test_a_gzipped_export_is_read(con, tmp_path):
    import gzip

    path = tmp_path / "range.json.gz"
    path.write_bytes(gzip.compress((DATA / "prometheus_query_range.json").read_bytes()))
    got = _loaded(con, path)
    assert (got.format, got.loaded) == ("prometheus-json", 6)


def test_the_summary_with_metrics_validates_against_the_documented_schema(simulated):
    import jsonschema

    from postmortem import commands

    _, _, path = simulated
    out = path.parent / "summary.json"
    commands.write_report(path, fmt="json", output=str(out))
    summary = json.loads(out.read_text())
    assert [m["changed_at"] for m in summary["metrics"]] == ["2026-03-14T21:06:00Z", "2026-03-14T21:17:00Z", None]
    schema = json.loads((Path(__file__).parent.parent / "docs" / "summary.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(summary)
    broken = {**summary, "metrics": [{**summary["metrics"][0], "changed_at": "21:06"}]}
    assert not jsonschema.Draft202012Validator(schema).is_valid(broken)  # the contract's ISO-8601 UTC is checked


def test_the_metrics_benchmark_runs_at_a_tiny_scale_and_finds_the_planted_steps(tmp_path):
    """bench/metrics.py end to end: 3 series x 1 h at 15 s; series 0 (every tenth) steps up at 00:50 UTC."""
    import subprocess
    import sys

    root = Path(__file__).parent.parent
    out = tmp_path / "metrics.json"
    subprocess.run(
        [
            sys.executable,
            str(root / "bench" / "metrics.py"),
            "--series",
            "3",
            "--hours",
            "1",
            "--data",
            str(tmp_path),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        env={**__import__("os").environ, "PYTHONPATH": str(root)},
    )
    (row,) = json.loads(out.read_text())
    assert row["points"] == 3 * 240  # 3 series x (3,600 s / 15 s)
    for fmt in ("prometheus-text", "prometheus-json"):
        assert row["formats"][fmt]["loaded"] == 720
        assert (row["formats"][fmt]["series_changed"], row["formats"][fmt]["series_judged"]) == (1, 3)
    summary = json.loads((tmp_path / "3x1h-15s" / "summary.json").read_text())
    changed = [(m["labels"]["instance"], m["changed_at"]) for m in summary["metrics"] if m["changed_at"]]
    assert changed == [("i-000000", "2026-03-14T00:50:00Z")]


@pytest.mark.browser
def test_the_metrics_charts_draw_offline_in_chromium(simulated, tmp_path, browser):  # noqa: F811 (the fixture)
    from postmortem import commands

    _, _, path = simulated
    page_file = tmp_path / "report.html"
    commands.write_report(path, output=str(page_file))
    page, messages, requests, _ = open_page(browser, page_file)
    error, shapes = page.evaluate(
        "(() => { const e = document.getElementById('chart-metrics');"
        " return [e.dataset.error || null, e.querySelectorAll('svg path, svg line').length]; })()"
    )
    assert error is None and shapes > 20  # three panels of lines and their markers
    assert [m for m in messages if m[0] in ("error", "pageerror", "warning")] == []
    assert requests == [page_file.as_uri()]  # offline: the page itself and nothing else
    assert "node_cpu_utilisation" in page.inner_text("#metrics table")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#metrics").screenshot(path=str(ARTIFACTS / "report-metrics.png"))
    page.close()


def test_the_metrics_chart_is_valid_vega_lite(simulated):
    from conftest import invalid_charts

    from postmortem import commands

    _, _, path = simulated
    facts = commands.load_facts(path)
    assert facts["metrics"]  # the metrics chart is among those checked
    assert invalid_charts(facts) == {}


def test_the_change_points_join_the_timeline(simulated):
    from postmortem import commands, figures

    _, _, path = simulated
    facts = commands.load_facts(path)
    changed = [
        (e["ts"].strftime("%H:%M"), e["actor"].split("{")[0], e["detail"])
        for e in facts["evidence"]["events"]
        if e["kind"] == "metric changed"
    ]
    assert changed == [
        ("21:06", "node_cpu_utilisation", "rose from its baseline, 6 min before the onset"),
        ("21:17", "relay_active_streams", "fell from its baseline, 5 min after the onset"),
    ]
    labels = [m["label"] for m in figures.markers(facts["evidence"]["events"], facts["switchover"])]
    assert "node_cpu_utilisation rose" in labels


def test_the_alert_what_if_is_set_against_the_notes_detection_time(simulated):
    from datetime import UTC, datetime

    from postmortem import commands

    _, _, path = simulated
    facts = commands.load_facts(path, notes={"anchors": {"detected": datetime(2026, 3, 14, 21, 14, tzinfo=UTC)}})
    leading = facts["metrics"][0]
    # the alert would have fired at 21:11:00; the notes say someone was alerted at 21:14:00: 180 s earlier
    assert (leading["name"], leading["alert_before_detection_s"]) == ("node_cpu_utilisation", 180.0)
    assert facts["metrics"][1]["alert_before_detection_s"] == -480.0  # 21:22 alert, 8 min after 21:14


def test_the_lead_time_table_lists_fifty_series_and_says_how_many_more(simulated):
    from postmortem import commands, render, report
    from postmortem.human_times import Clock

    _, _, path = simulated
    facts = commands.load_facts(path)
    steady = next(m for m in facts["metrics"] if m["changed_at"] is None)
    # 3 real series + 60 copies of the steady one with other labels = 63; 50 listed, 13 not
    facts["metrics"] += [{**steady, "labels": {"instance": f"auth-{i + 2}"}} for i in range(60)]
    context = report.build_context(facts, {}, Clock())
    assert (len(context["metrics"]["rows"]), context["metrics"]["not_listed"]) == (50, 13)
    assert context["metrics"]["rows"][0]["series"].startswith("node_cpu_utilisation")
    assert "13 more series, none earlier than those above, are not listed" in render.render_html(context)
