"""Named SQL: every question lives in `queries/NAME.sql` and runs here with bound parameters only.

A file's `$names` are found after stripping comments and string literals, so exactly those are bound
(DuckDB raises on an unused key) and a missing one is named in the error instead of a binder trace.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from postmortem.errors import QueryError

_PACKAGED = Path(__file__).parent / "queries"  # where the wheel puts them (hatch force-include)
_REPO = Path(__file__).parent.parent / "queries"  # an editable install reads the repo folder
QUERY_DIR = _PACKAGED if _PACKAGED.is_dir() else _REPO

_COMMENTS_AND_STRINGS = re.compile(r"--[^\n]*|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", re.S)
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


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


def run(con: duckdb.DuckDBPyConnection, name: str, **params) -> pl.DataFrame:
    """Run a named query and return its rows as a polars frame."""
    return relation(con, name, **params).pl()


def execute_script(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Run a multi-statement file that takes no parameters (schema, macros)."""
    con.execute(load(name))


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


def run_sql(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    """Ad hoc SQL typed by the user; callers open the connection read-only."""
    try:
        rel = con.sql(sql)
    except duckdb.Error as err:
        raise QueryError(str(err).strip().splitlines()[0]) from None
    if rel is None:
        raise QueryError("the statement returned no rows; `postmortem sql` runs queries, not commands")
    try:
        return rel.pl()
    except duckdb.Error as err:
        raise QueryError(str(err).strip().splitlines()[0]) from None
