"""The `--engine`, `--lake`, `--spark-remote` and `--spark-master` options of `report`, `timeline` and `query`,
declared once: a decorator adds them to a command and hands the command one `db_path` that is either the
DuckDB file (no option given, the default) or an `engine.Source` naming the lake and the engine."""

from __future__ import annotations

import functools
import inspect
from typing import Annotated

import typer

from postmortem.choices import EngineName

EngineOption = Annotated[
    EngineName,
    typer.Option(
        "--engine",
        envvar="POSTMORTEM_ENGINE",
        help="What runs the queries: duckdb (the --db file, or the --lake) or spark (reads the --lake).",
    ),
]
LakeOption = Annotated[
    str | None,  # a folder; not a Path, which would fold a URI's `//`
    typer.Option(
        "--lake", envvar="POSTMORTEM_LAKE", help="Read this Parquet lake (written by `ingest --lake`) instead of --db."
    ),
]
SparkRemote = Annotated[
    str | None,
    typer.Option(envvar="SPARK_REMOTE", help="Spark Connect server for --engine spark, e.g. sc://host:15002."),
]
SparkMaster = Annotated[
    str | None,
    typer.Option(help="Spark master for --engine spark, e.g. spark://host:7077 or local[4]; default local[*]."),
]
OPTIONS = [
    ("engine", EngineOption, EngineName.duckdb),
    ("lake", LakeOption, None),
    ("spark_remote", SparkRemote, None),
    ("spark_master", SparkMaster, None),
]


def engine_options(command):
    """Add the engine options to a command that takes `db_path` (and maybe `threads`, `memory_limit`)."""
    signature = inspect.signature(command, eval_str=True)
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()]
    added = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=a, default=d) for n, a, d in OPTIONS]

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        values = {name: kwargs.pop(name) for name, _, _ in OPTIONS}
        if values["engine"] != EngineName.duckdb or any(values[n] for n in ("lake", "spark_remote", "spark_master")):
            extra = {k: kwargs[k] for k in ("threads", "memory_limit") if kwargs.get(k) is not None}
            from postmortem.engine import Source  # DuckDB and polars: imported once a command runs

            kwargs["db_path"] = Source(db_path=kwargs["db_path"], **values, **extra)
        return command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=own + added)
    wrapper.__annotations__ = {p.name: p.annotation for p in own + added}
    return wrapper
