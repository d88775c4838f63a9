"""`--engine spark`: the same queries/*.sql on Spark (local mode) over the Parquet lake give the same answers as
DuckDB over the database file, query by query and in the JSON summary. One Spark session for the whole test
session (starting one takes seconds). The translation itself is checked case by case first (no Spark needed)."""

import json

import polars as pl
import pytest
from conftest import SAMPLE_LOGS

from postmortem import commands, db, engine, export, lake, lake_write, queries
from postmortem.cli import app
from postmortem.dialect import Translator
from postmortem.errors import QueryError
from postmortem.summary import Detection, gather_facts

# DuckDB in, Spark out: one line per construct sqlglot does not translate right by itself.
TRANSLATIONS = [
    (
        "select epoch(b) - epoch(a) from t",
        "SELECT (CAST(UNIX_MICROS(b) AS DOUBLE) / 1000000) - (CAST(UNIX_MICROS(a) AS DOUBLE) / 1000000) FROM t",
    ),
    ("select first(m order by ts) from t", "SELECT MIN_BY(m, ts) FROM t"),
    (
        "select first(u order by ts, u) filter (where e = 's') from t",
        "SELECT MIN_BY(u, STRUCT(ts, u)) FILTER(WHERE e = 's') FROM t",
    ),
    ("select list(distinct x order by x) from t", "SELECT ARRAY_SORT(COLLECT_SET(x)) FROM t"),
    (
        "select ts - to_minutes(cast($n as bigint)) from t",
        "SELECT ts - MAKE_DT_INTERVAL(0, 0, CAST(:n AS BIGINT), 0) FROM t",
    ),
    ("select quantile_cont(j, 0.95) from t", "SELECT PERCENTILE(j, 0.95) FROM t"),
    ("select time_bucket(interval 1 minute, ts) from t", "SELECT DATE_TRUNC('MINUTE', ts) FROM t"),
    ("select error('postmortem: ' || x) from t", "SELECT RAISE_ERROR('postmortem: ' || x) FROM t"),
    (
        "select * from (unpivot t on a, b into name dim value val)",
        "SELECT * FROM ((SELECT * FROM t UNPIVOT(val FOR dim IN (a, b))))",
    ),
    (
        "select g.m, r.v from g asof left join r on g.k = r.k and g.m >= r.m",
        "SELECT g.m, r.v FROM g LEFT JOIN (SELECT *, LEAD(m) OVER (PARTITION BY k ORDER BY m NULLS LAST)"
        " AS __asof_next FROM r) AS r ON g.k = r.k AND g.m >= r.m AND (r.__asof_next IS NULL OR g.m < r.__asof_next)",
    ),
]


@pytest.mark.parametrize(("duckdb_sql", "spark_sql"), TRANSLATIONS)
def test_translation(duckdb_sql, spark_sql):
    assert Translator().query(duckdb_sql) == spark_sql


def test_table_macros_are_expanded_and_the_cache_is_left_to_the_engine():
    translator = Translator()
    script = """
        create or replace temp macro runs(f, n) as table select space_id from m where share >= f group by all
            having count(*) >= n;
        create or replace temp table cached_v as select * from v;
        create or replace temp view v as select * from cached_v;
    """
    assert translator.statements(script) == []
    assert translator.materialise == ["v"]
    assert translator.query("select * from runs($f, 2)") == (
        "SELECT * FROM (SELECT space_id FROM m WHERE share >= :f GROUP BY ALL HAVING COUNT(*) >= 2) AS runs"
    )


@pytest.mark.parametrize(
    "duckdb_sql",
    [
        "select time_bucket(interval 5 minute, ts) from t",
        "select time_bucket(interval 1 hour, ts) from t",
        "select time_bucket(interval 1 minute, ts, timestamptz '2000-01-01 00:00:30') from t",
    ],
)
def test_time_buckets_other_than_the_minute_are_refused(duckdb_sql):
    with pytest.raises(QueryError, match="no Spark translation"):
        Translator().query(duckdb_sql)


@pytest.fixture(scope="session")
def spark_session():
    # The first session of the process: later ones reuse its context (until a CLI run stops it), each with its
    # own views.
    return engine.spark_session(master="local[2]")


def build_lake(logs, root) -> None:
    lake_write.ingest_lake(root, [logs], threads=2)


@pytest.fixture(scope="session")
def sample_lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark-lake") / "lake"
    build_lake(SAMPLE_LOGS, root)
    return root


@pytest.fixture(scope="session")
def spark(spark_session, sample_lake):
    """A Spark engine over the sample lake with the report's cache in place, as `report` uses it."""
    spark_engine = engine.SparkEngine(spark_session)
    spark_engine.attach_lake(lake.read(sample_lake))
    spark_engine.cache_derived()
    yield spark_engine
    spark_engine.close()


@pytest.fixture(scope="session")
def duck(sample_lake):
    """DuckDB over the same lake: the engines see the same bytes (bookkeeping times included)."""
    with engine.connect(engine.Source(lake=sample_lake)) as con:
        db.cache_derived(con)
        yield con


@pytest.fixture(scope="session")
def incident_params(duck):
    """Every query's parameters, from the incident DuckDB finds in the sample (as `postmortem query` fills them)."""
    facts = gather_facts(duck, detection=Detection(), evidence=False)
    return commands.incident_parameters(facts, Detection())


def report_json(runner, tmp_path, *args) -> dict:
    target = tmp_path / f"{abs(hash(args))}.json"
    result = runner.invoke(app, ["report", "--format", "json", "-o", str(target), *args])
    assert result.exit_code == 0, result.output
    return json.loads(target.read_text())


# A lake holds no metrics (ingest --lake refuses a metrics export): their queries have nothing to read there.
LAKE_QUERIES = [name for name in queries.names() if not name.startswith("metric_")]


@pytest.mark.parametrize("name", LAKE_QUERIES)
def test_every_query_gives_the_same_rows_on_both_engines(name, duck, spark, incident_params):
    on_duckdb = queries.run(duck, name, **incident_params)
    on_spark = queries.run(spark, name, **incident_params)
    assert on_spark.columns == on_duckdb.columns
    assert on_duckdb.height > 0 or name in ("rejects",), f"{name} returned no rows on the sample: a weak check"
    # Same rows in the same order (every query orders its result), value for value.
    assert on_spark.rows() == on_duckdb.rows()
    assert [_kind(t) for t in on_spark.dtypes] == [_kind(t) for t in on_duckdb.dtypes]


def _kind(dtype: pl.DataType) -> str:
    """Type families: DuckDB's HUGEINT sums and Spark's BIGINT sums are both integers to every consumer."""
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    return str(dtype.base_type())


def spark_summary(lake_root) -> dict:
    """The JSON summary as `report --format json --engine spark` computes it (commands.load_facts: the derived
    cache, the facts without evidence, no notes), on the test session's Spark context. A CLI run starts and
    stops a context of its own (test_the_cli_summary_from_spark...): one such run is checked, the other data
    sets go through the same steps on a shared context, each in its own session (its own views)."""
    spark_engine = engine.SparkEngine(engine.spark_session(master="local[2]"))  # the live context, or a new one
    spark_engine.attach_lake(lake.read(lake_root))
    db.cache_derived(spark_engine)
    facts = commands.add_notes(gather_facts(spark_engine, detection=Detection(), evidence=False), {})
    return json.loads(export.summary_json(facts))


def test_records_delivered_twice_summary_from_spark_equals_the_database(spark_session, runner, tmp_path):
    """The sample, then its records again in other files by a second run (tests/test_lake.py: redelivery):
    Spark over the lake counts each record once, as the database file does."""
    from test_lake import database_of, redelivery

    again = redelivery(tmp_path)
    database = database_of(tmp_path, runner, [str(SAMPLE_LOGS)], [str(again)])
    build_lake(SAMPLE_LOGS, tmp_path / "lake")
    build_lake(again, tmp_path / "lake")
    from_db = report_json(runner, tmp_path, "--db", str(database))
    assert from_db["data_quality"] is not None
    assert spark_summary(tmp_path / "lake") == from_db


def test_simulation_summary_from_spark_equals_the_database(spark_session, runner, tmp_path):
    """20,000 listeners in the failed room: about 420,000 records over three logs."""
    logs = tmp_path / "logs"
    result = runner.invoke(app, ["simulate", str(logs), "--listeners", "20000"])
    assert result.exit_code == 0, result.output
    database = tmp_path / "sim.duckdb"
    result = runner.invoke(app, ["ingest", str(logs), "--db", str(database)])
    assert result.exit_code == 0, result.output
    build_lake(logs, tmp_path / "lake")
    from_db = report_json(runner, tmp_path, "--db", str(database))
    truth = json.loads((logs / ".truth.json").read_text())
    assert from_db["incident"]["space_id"] == truth["incident_space"]
    assert spark_summary(tmp_path / "lake") == from_db


# The CLI's own Spark runs stop the context they used (issue 22), the shared one included: these come last.


def test_the_cli_summary_from_spark_equals_the_database_and_stops_its_session(
    sample_db, sample_lake, spark_session, runner, tmp_path
):
    """`report --engine spark --lake` end to end; the run takes the live context (the shared one, as any
    later session of a process would) and stops it on the way out."""
    context = spark_session.sparkContext
    assert not context._jsc.sc().isStopped()
    from_db = report_json(runner, tmp_path, "--db", str(sample_db))
    on_spark = report_json(runner, tmp_path, "--engine", "spark", "--lake", str(sample_lake))
    assert from_db["incident"] is not None and from_db["switchover"] is not None  # the sample's incident is found
    assert on_spark == from_db
    assert context._jsc is None or context._jsc.sc().isStopped()


def test_a_spark_session_is_stopped_when_its_query_fails(sample_lake):
    """The other exit path: a query fails inside the engine (the normal one: the test above)."""
    with pytest.raises(QueryError):
        with engine.connect(
            engine.Source(engine=engine.EngineName.spark, lake=sample_lake, spark_master="local[1]")
        ) as spark:
            context = spark.session.sparkContext
            assert not context._jsc.sc().isStopped()
            spark.frame("bad", "select no_such_column", {})
    assert context._jsc is None or context._jsc.sc().isStopped()
