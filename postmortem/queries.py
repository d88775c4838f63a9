"""Named SQL: every question lives in `queries/NAME.sql` and runs here with bound parameters only.

A file's `$names` are found after stripping comments and string literals, so exactly those are bound
(DuckDB raises on an unused key) and a missing one is named in the error instead of a binder trace.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from functools import cache, singledispatch
from typing import Protocol, TypeVar

import duckdb
import polars as pl

from postmortem.choices import QUERY_DIR
from postmortem.errors import QueryError

_COMMENTS_AND_STRINGS = re.compile(r"--[^\n]*|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", re.S)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
OUR_ERROR = "Invalid Input Error: postmortem: "  # how a check in our SQL, `error('postmortem: ...')`, arrives
# What `postmortem sql` runs: queries (SELECT, WITH, FROM, VALUES, DESCRIBE, SUMMARIZE, SHOW) and EXPLAIN.
READ_STATEMENTS = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)
T = TypeVar("T")


class Engine(Protocol):
    """What runs the named SQL: DuckDB (DuckDBEngine, below) or Spark (postmortem/engine.py). The stages above
    ask the engine what it can do; none looks at the type of the connection it was given."""

    name: str

    def frame(self, name: str, sql: str, params: dict) -> pl.DataFrame: ...

    def execute_script(self, name: str) -> None: ...

    def cache_derived(self) -> None: ...

    def interruptible(self, work: Callable[[], T], *, timeout: float | None = None) -> T: ...

    def holds(self, presence: str) -> bool: ...


@singledispatch
def engine_of(con) -> Engine:
    """The engine that runs SQL on `con`: an engine is its own. A DuckDB connection (the read side's and every
    ingest step's) is adapted by the registration below: its class is DuckDB's, not ours to add methods to."""
    return con


@engine_of.register
def _(con: duckdb.DuckDBPyConnection) -> Engine:
    return DuckDBEngine(con)


class DuckDBEngine:
    """A DuckDB connection (the database file, or a lake read by DuckDB) behind the Engine protocol."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def frame(self, name: str, sql: str, params: dict) -> pl.DataFrame:
        try:
            return self.con.sql(sql, params=params or None).pl()
        except duckdb.Error as err:  # e.g. a check in the SQL itself refusing a room (schema/views)
            raise QueryError(f"query {name!r}: {engine_message(err)}") from err

    def execute_script(self, name: str) -> None:
        self.con.execute(load(name))

    def cache_derived(self) -> None:
        from postmortem import db  # db builds on this module

        db.use_or_cache_derived(self.con)

    def holds(self, presence: str) -> bool:
        """Whether the data holds a kind's own tables, as the query `presence` (e.g. webrtc/present) answers."""
        return bool(run(self.con, presence).item())

    def interruptible(self, work: Callable[[], T], *, timeout: float | None = None) -> T:
        """`work()` (DuckDB calls on this connection) run in a worker thread, so that Ctrl-C and the time limit
        stop it within a tenth of a second: DuckDB looks at Python's signals only now and then (a cross join
        ran on 30 s after Ctrl-C), while `con.interrupt()` from here stops it at its next step. Ctrl-C is
        re-raised as KeyboardInterrupt; running past `timeout` seconds is a QueryError naming the limit."""
        run = _Run(work)
        deadline = None if not timeout else time.monotonic() + timeout
        try:
            # inside the try: a Ctrl-C while Thread.start waits for the thread to begin still stops it
            threading.Thread(target=run, name="postmortem-query", daemon=True).start()
            while not run.finished.wait(0.05):
                if deadline is not None and time.monotonic() > deadline:
                    self._stop(run)
                    raise QueryError(f"the query ran longer than {timeout:g} s and was stopped (--timeout SECONDS)")
        except KeyboardInterrupt:
            self._stop(run)
            raise
        return run.outcome()

    def _stop(self, run: _Run) -> None:
        """Interrupt until the work has ended: `con.interrupt()` stops only the statement running at that
        moment, so work of several statements would go on with the next one, and the caller closing the
        connection under it fails ("connection is busy"). DuckDB stops within milliseconds; a result
        already being converted finishes. Work that had not begun never will."""
        if not run.cancel():
            return
        while not run.finished.is_set():
            self.con.interrupt()
            run.finished.wait(0.02)


class _Run:
    """Work run in a worker thread, ended (`finished`) by its own flag rather than Thread.join/is_alive: on
    Python 3.11 a Ctrl-C landing inside join() marks a thread that is still running as stopped (CPython
    gh-90882). `cancel()` says whether the work began; once it has answered, work not begun never begins."""

    def __init__(self, work: Callable[[], T]) -> None:
        self.work = work
        self.finished = threading.Event()
        self._gate = threading.Lock()
        self._began = self._cancelled = False
        self._value = self._error = None

    def __call__(self) -> None:
        with self._gate:
            self._began = not self._cancelled
        try:
            if self._began:
                self._value = self.work()
        except BaseException as err:  # handed to the caller's thread as it is
            self._error = err
        finally:
            self.finished.set()

    def cancel(self) -> bool:
        with self._gate:
            self._cancelled = True
            return self._began

    def outcome(self):
        if self._error is not None:
            raise self._error
        return self._value


@cache
def load(name: str) -> str:
    """The text of `queries/NAME.sql` (NAME may contain a folder, e.g. `ingest/stage_join`)."""
    path = QUERY_DIR / f"{name}.sql"
    if not path.is_file():
        raise QueryError(f"unknown query {name!r}; see `postmortem query --list`")
    return path.read_text(encoding="utf-8")


def parameters(sql: str) -> list[str]:
    """The `$names` a statement uses, in order of first use."""
    code = _COMMENTS_AND_STRINGS.sub(" ", sql)
    return list(dict.fromkeys(_PARAM.findall(code)))


def describe(name: str) -> str:
    """The header comment of a query: what it answers."""
    lines = []
    for line in load(name).splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.removeprefix("--").strip())
    return " ".join(lines)


def names() -> list[str]:
    """The top-level questions (schema and ingest helpers live in sub-folders)."""
    return sorted(p.stem for p in QUERY_DIR.glob("*.sql"))


def bind(name: str, params: dict) -> tuple[str, dict]:
    sql = load(name)
    wanted = parameters(sql)
    missing = [p for p in wanted if p not in params]
    if missing:
        raise QueryError(f"query {name!r} needs parameter(s): {', '.join('$' + m for m in missing)}")
    return sql, {p: params[p] for p in wanted}


def relation(con: duckdb.DuckDBPyConnection, name: str, **params) -> duckdb.DuckDBPyRelation:
    """The query as a lazy relation, for composing or materialising without a round trip to Python."""
    sql, bound = bind(name, params)
    return con.sql(sql, params=bound or None)


def run(con: duckdb.DuckDBPyConnection | Engine, name: str, **params) -> pl.DataFrame:
    """Run a named query and return its rows as a polars frame. `con` is a DuckDB connection or another
    engine (postmortem/engine.py: Spark) that runs the same file and returns the same frame."""
    sql, bound = bind(name, params)
    return engine_of(con).frame(name, sql, bound)


def execute(con: duckdb.DuckDBPyConnection, name: str, **params) -> object:
    """Run a named statement that changes something (ingest's steps), checking its `$names` like `run`; a file
    of several statements runs each with the parameters it uses (DuckDB binds only a statement's own). Returns
    the first value of the last statement's result (the row count of an INSERT), or None."""
    result = None
    for statement in con.extract_statements(load(name)):
        sql = statement.query
        wanted = parameters(sql)
        missing = [p for p in wanted if p not in params]
        if missing:
            raise QueryError(f"query {name!r} needs parameter(s): {', '.join('$' + m for m in missing)}")
        rows = con.execute(sql, {p: params[p] for p in wanted} or None).fetchall()
        result = rows[0][0] if rows and rows[0] else None
    return result


def chained(steps: list[tuple[str, str]], final: str) -> str:
    """One statement: the query `final` reading each earlier step, a (name it is read by, query) pair, as a
    common table expression. So staging composes its fixed queries (lines -> records -> checked rows) into one
    pass over a file, or runs them one by one into temporary tables, without any SQL written at run time."""
    if not steps:
        return load(final)
    # not materialized: a step read twice is computed twice rather than copied (each is a cheap pass or read once)
    ctes = ",\n".join(f"{alias} as not materialized (\n{_body(load(query))}\n)" for alias, query in steps)
    body = _body(load(final))
    if re.match(r"with\s", body, re.I):  # the final query's own CTEs follow the steps
        return f"with {ctes},\n{body[5:]}"
    return f"with {ctes}\n{body}"


def _body(sql: str) -> str:
    """A query's text without its header comment."""
    lines = sql.splitlines()
    while lines and (not lines[0].strip() or lines[0].startswith("--")):
        lines.pop(0)
    return "\n".join(lines).strip().rstrip(";")


def run_chained(con: duckdb.DuckDBPyConnection, steps: list[tuple[str, str]], final: str, **params) -> pl.DataFrame:
    """`run` of a chained query (see chained)."""
    sql = chained(steps, final)
    return con.sql(sql, params=_bound(final, sql, params) or None).pl()


def materialise(con: duckdb.DuckDBPyConnection, table: str, steps: list[tuple[str, str]], final: str, **params) -> None:
    """A chained query (see chained) into the temporary table `table` (a name of ours, never a user's)."""
    _execute_text(con, final, f"create or replace temp table {table} as\n{chained(steps, final)}", params)


def execute_chained(con: duckdb.DuckDBPyConnection, steps: list[tuple[str, str]], final: str, **params) -> None:
    """A chained statement that changes something (an append reading the steps before it)."""
    _execute_text(con, final, chained(steps, final), params)


def _execute_text(con: duckdb.DuckDBPyConnection, name: str, sql: str, params: dict) -> None:
    con.execute(sql, _bound(name, sql, params) or None)


def _bound(name: str, sql: str, params: dict) -> dict:
    """The parameters a statement uses, checked like `bind`'s."""
    wanted = parameters(sql)
    missing = [p for p in wanted if p not in params]
    if missing:
        raise QueryError(f"query {name!r} needs parameter(s): {', '.join('$' + m for m in missing)}")
    return {p: params[p] for p in wanted}


def execute_script(con: duckdb.DuckDBPyConnection | Engine, name: str) -> None:
    """Run a multi-statement file that takes no parameters (schema, macros)."""
    engine_of(con).execute_script(name)


def parse_params(pairs: list[str]) -> dict:
    """`k=v` strings from the command line; numbers become numbers, `null` becomes NULL."""
    params: dict = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise QueryError(f"parameter {pair!r} is not of the form name=value")
        value: object = text
        if text == "null":
            value = None
        else:
            for cast in (int, float):
                try:
                    value = cast(text)
                    break
                except ValueError:
                    continue
        params[key.strip().lstrip("$")] = value
    return params


def engine_message(err: BaseException) -> str:
    """The first line of an engine error; a check in our own SQL says what to do and is passed on as is."""
    text = str(err).strip()
    if OUR_ERROR in text:
        text = text.split(OUR_ERROR, 1)[1].strip()
    first = text.splitlines()[0] if text else type(err).__name__
    if isinstance(err, duckdb.OutOfMemoryException) or first.startswith("Out of Memory Error"):
        first += "; give DuckDB more memory with --memory-limit (e.g. --memory-limit 4GB)"
    return first


def _verb(statement) -> str:
    """The statement's own first word (INSTALL, CHECKPOINT): DuckDB files INSTALL under LOAD and CHECKPOINT
    under CALL, which would name a statement the user did not write."""
    text = re.sub(r"^(?:\s+|--[^\n]*|/\*.*?\*/)*", "", statement.query, flags=re.S)
    words = re.findall(r"[A-Za-z_]+", text[:40].upper())[:2]
    if not words or words[0] == "WITH":  # nothing to go by, or CTEs in front of an INSERT, UPDATE, DELETE ...
        return statement.type.name.replace("_", " ")
    return " ".join(words) if words[0] == "FORCE" else words[0]


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, *, timeout: float | None = None) -> pl.DataFrame:
    """Ad hoc SQL typed by the user: exactly one query, split by DuckDB's own parser (no regex guesses at
    quotes and comments), stopped by Ctrl-C or after `timeout` seconds (see interruptible). Callers open the
    connection with `db.connect_sandboxed`, which is what makes it read-only; refusing other statement types
    here only gives a clearer message first."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as err:
        raise QueryError(engine_message(err)) from err
    if len(statements) != 1:
        raise QueryError(f"`postmortem sql` runs exactly one statement; this text has {len(statements)}")
    (statement,) = statements
    if statement.type not in READ_STATEMENTS:
        verb = _verb(statement)
        raise QueryError(f"`postmortem sql` is read-only and runs queries (SELECT) only: {verb} is not allowed")
    try:
        return interruptible(con, lambda: con.sql(statement).pl(), timeout=timeout)
    except duckdb.Error as err:
        raise QueryError(engine_message(err)) from err
    except pl.exceptions.PolarsError as err:  # a column type polars cannot hold (INTERVAL, UNION, ...)
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise QueryError(f"cannot show this result ({first}); cast the column to varchar, e.g. `x::varchar`") from err


def interruptible(con: duckdb.DuckDBPyConnection | Engine, work: Callable[[], T], *, timeout: float | None = None) -> T:
    """`work()` run so that Ctrl-C and `timeout` seconds stop it, as the engine can: DuckDB within a tenth of a
    second (DuckDBEngine.interruptible); Spark runs it as it is, with its own cancellation."""
    return engine_of(con).interruptible(work, timeout=timeout)
