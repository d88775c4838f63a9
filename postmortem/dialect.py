"""DuckDB SQL -> Spark SQL, at run time, so `queries/*.sql` stay the one source of truth for both engines.

sqlglot does most of the work. What it leaves wrong is fixed here on the syntax tree, each rewrite named for
the DuckDB construct it replaces (checked against DuckDB's results by tests/test_spark.py, not by eye):

- `epoch(ts)` became `unix_timestamp(ts)`, which drops the fraction of a second: -> `unix_micros(ts) / 1e6`.
- `first(x order by k1, k2)` is not Spark: -> `min_by(x, struct(k1, k2))` (a FILTER clause is kept).
- `list(distinct x order by x)` lost its order: -> `array_sort(collect_set(x))`.
- `to_minutes(n)` -> `make_dt_interval(0, 0, n, 0)`.
- `time_bucket(interval 1 minute, ts)` (DuckDB's fast minute cut; its `date_trunc` on a TIMESTAMPTZ goes through
  the time-zone library, several times slower) became Spark's nonexistent `date_bin`: -> `date_trunc('MINUTE',
  ts)`, the same minute for any instant (whole minutes from the default origin). Any other width or an origin
  is refused, not guessed.
- `quantile_cont(x, q)` -> `percentile(x, q)` (both interpolate linearly).
- DuckDB's `unpivot t on a, b into name n value v` -> Spark's `t unpivot (v for n in (a, b))` (both drop NULLs).
- Table macros (`create temp macro f(a, b) as table select ...`) have no Spark form: the definitions are kept
  and each call `from f(x, y)` is replaced by the macro's body with its arguments substituted.
- The report's cache (`create temp table cached_x as select * from x`, then view x over it) is left to the
  engine, which materialises view x (`Translator.materialise`).
- `a asof left join b on a.k = b.k and a.t >= b.t` has no Spark form: -> a left join on the keys to `b` with
  each row's validity range (`lead(b.t)` per key), so each `a` row meets the latest `b` row at or before it.
- `error(msg)` -> `raise_error(msg)`.
- `$name` parameters become Spark's named markers `:name`; values stay bound, never formatted into text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from postmortem.errors import QueryError


@dataclass
class Translator:
    """Turns DuckDB statements into Spark statements; remembers the table macros it has seen."""

    macros: dict[str, exp.Create] = field(default_factory=dict)
    materialise: list[str] = field(default_factory=list)  # views a script asked to compute once, in order

    def statements(self, sql: str) -> list[str]:
        """Every statement of a DuckDB script as Spark SQL; macro definitions are kept, not emitted."""
        try:
            trees = sqlglot.parse(sql, read="duckdb")
        except sqlglot.errors.ParseError as err:
            raise QueryError(f"cannot translate SQL for Spark: {str(err).splitlines()[0]}") from None
        out = []
        copies: dict[str, str] = {}  # cached_x -> x
        for tree in trees:
            if tree is None:
                continue
            kind = str(tree.args.get("kind", "")).upper() if isinstance(tree, exp.Create) else ""
            if kind == "MACRO":
                self.macros[tree.this.this.name.lower()] = tree
                continue
            copied = _copied_relation(tree) if kind in ("TABLE", "VIEW") else None
            if kind == "TABLE" and copied:
                # `create temp table cached_x as select * from x` then `create view x as select * from
                # cached_x`: materialise view x once. In Spark a view over a copy of itself is a cycle, so the
                # engine materialises x from Python instead (see `materialise`).
                copies[tree.this.name.lower()] = copied
                self.materialise.append(copied)
                continue
            if kind == "VIEW" and copied in copies and copies[copied] == tree.this.name.lower():
                continue
            out.append(self.tree_to_spark(tree))
        return out

    def query(self, sql: str) -> str:
        """One DuckDB query as one Spark query."""
        statements = self.statements(sql)
        if len(statements) != 1:
            raise QueryError(f"expected one statement, got {len(statements)}")
        return statements[0]

    def tree_to_spark(self, tree: exp.Expression) -> str:
        tree = self._expand_macros(tree)
        tree = tree.transform(_rewrite)
        if isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "TABLE":
            return exp.Cache(this=tree.this, expression=tree.expression).sql("spark")
        return tree.sql("spark")

    def _expand_macros(self, tree: exp.Expression) -> exp.Expression:
        def expand(node: exp.Expression) -> exp.Expression:
            if not isinstance(node, exp.Table) or not isinstance(node.this, exp.Anonymous):
                return node
            macro = self.macros.get(node.this.name.lower())
            if macro is None:
                return node
            names = [i.name.lower() for i in macro.this.expressions]
            args = node.this.expressions
            if len(args) != len(names):
                raise QueryError(f"table macro {node.this.name} takes {len(names)} arguments, got {len(args)}")
            values = dict(zip(names, args, strict=True))

            def substitute(inner: exp.Expression) -> exp.Expression:
                if isinstance(inner, exp.Column) and not inner.table and inner.name.lower() in values:
                    return values[inner.name.lower()].copy()
                return inner

            body = macro.expression.copy().transform(substitute)
            alias = node.alias or node.this.name
            return exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias)))

        return tree.transform(expand)


def _copied_relation(tree: exp.Create) -> str | None:
    """`x` when the statement creates something as exactly `select * from x`."""
    body = tree.expression
    if not isinstance(body, exp.Select) or body.args.get("where") or body.args.get("joins"):
        return None
    if len(body.expressions) != 1 or not isinstance(body.expressions[0], exp.Star):
        return None
    source = body.args.get("from_") or body.args.get("from")
    if source is None or not isinstance(source.this, exp.Table):
        return None
    return source.this.name.lower()


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.TimeToUnix):
        micros = exp.Anonymous(this="unix_micros", expressions=[node.this])
        return exp.Paren(this=exp.Div(this=exp.cast(micros, "double"), expression=exp.Literal.number(1000000)))
    if isinstance(node, exp.First) and isinstance(node.this, exp.Order):
        order = node.this
        keys = [o.this for o in order.expressions]
        if any(o.args.get("desc") for o in order.expressions):
            raise QueryError("first(... order by ... desc) has no Spark translation; use arg_max")
        key = keys[0] if len(keys) == 1 else exp.Struct(expressions=keys)
        return exp.Anonymous(this="min_by", expressions=[order.this, key])
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        inner = node.this.this
        if isinstance(inner, exp.Distinct):
            return exp.Anonymous(
                this="array_sort", expressions=[exp.Anonymous(this="collect_set", expressions=inner.expressions)]
            )
        return exp.Anonymous(this="collect_list", expressions=[inner])  # order is not guaranteed: avoid
    if isinstance(node, exp.Anonymous) and node.name.lower() == "to_minutes":
        zero = exp.Literal.number(0)
        return exp.Anonymous(this="make_dt_interval", expressions=[zero, zero, node.expressions[0], zero])
    if isinstance(node, exp.DateBin):
        return _spark_minute(node)
    if isinstance(node, exp.PercentileCont) and node.expression is not None:
        return exp.Anonymous(this="percentile", expressions=[node.this, node.expression])
    if isinstance(node, exp.Pivot) and node.args.get("unpivot") and node.args.get("into"):
        return _spark_unpivot(node)
    if isinstance(node, exp.Join) and str(node.args.get("method") or "").upper() == "ASOF":
        return _spark_asof(node)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "error":
        return exp.Anonymous(this="raise_error", expressions=node.expressions)
    return node


def _spark_minute(node: exp.DateBin) -> exp.Expression:
    """`time_bucket(interval 1 minute, ts)` -> `date_trunc('MINUTE', ts)`; nothing else has a checked form."""
    width = node.this
    is_minute = (
        isinstance(width, exp.Interval)
        and width.this is not None
        and width.this.name == "1"
        and width.unit is not None
        and width.unit.name.upper() == "MINUTE"
    )
    if not is_minute or any(node.args.get(k) is not None for k in ("unit", "zone", "origin")):
        raise QueryError(f"{node.sql('duckdb')} has no Spark translation; only time_bucket(interval 1 minute, ts)")
    return exp.TimestampTrunc(this=node.expression, unit=exp.var("MINUTE"))


def _spark_asof(join: exp.Join) -> exp.Join:
    """`x asof [left] join r on x.k = r.k and x.t >= r.t` -> `[left] join (r with next_t) on x.k = r.k and
    x.t >= r.t and (r.next_t is null or x.t < r.next_t)`; `>` works alike. Right-side times must be unique
    per key (they are: the right side of our ASOF joins is grouped by key and time)."""
    right = join.this
    alias = right.alias_or_name
    conditions = list(join.args["on"].flatten()) if isinstance(join.args["on"], exp.And) else [join.args["on"]]
    keys, ranges = [], []
    for cond in conditions:
        if isinstance(cond, exp.EQ):
            keys.append(cond)
        elif isinstance(cond, exp.GTE | exp.GT):
            ranges.append(cond)
        else:
            raise QueryError(f"ASOF join condition {cond.sql('duckdb')} has no Spark translation")
    if len(ranges) != 1 or ranges[0].expression.table != alias:
        raise QueryError("an ASOF join needs exactly one `left.t >= right.t` condition for Spark")
    inequality = ranges[0]
    right_time = inequality.expression.name
    partition = [side.name for eq in keys for side in (eq.this, eq.expression) if side.table == alias]
    next_t = "__asof_next"
    window = exp.Window(
        this=exp.Anonymous(this="lead", expressions=[exp.column(right_time)]),
        partition_by=[exp.column(c) for c in partition],
        order=exp.Order(expressions=[exp.Ordered(this=exp.column(right_time))]),
    )
    source = right.copy()
    source.set("alias", None)
    ranged = exp.select("*", exp.alias_(window, next_t)).from_(source)
    upper = exp.LT if isinstance(inequality, exp.GTE) else exp.LTE
    bound = exp.or_(
        exp.column(next_t, table=alias).is_(exp.null()),
        upper(this=inequality.this.copy(), expression=exp.column(next_t, table=alias)),
    )
    on = exp.and_(*[k.copy() for k in keys], inequality.copy(), exp.paren(bound))
    return exp.Join(
        this=exp.Subquery(this=ranged, alias=exp.TableAlias(this=exp.to_identifier(alias))),
        side=join.args.get("side"),
        on=on,
    )


def _spark_unpivot(node: exp.Pivot) -> exp.Expression:
    """DuckDB `unpivot t on a, b into name n value v` -> `select * from t unpivot (v for n in (a, b))`."""
    into = node.args["into"]
    name_col = into.this.name
    value_col = into.expressions[0].name
    source = node.this.copy()
    unpivot = exp.Pivot(
        unpivot=True,
        expressions=[exp.to_identifier(value_col)],
        fields=[
            exp.In(
                this=exp.to_identifier(name_col),
                expressions=[exp.column(c.name) for c in node.expressions],
            )
        ],
    )
    source.append("pivots", unpivot)
    return exp.Subquery(this=exp.select("*").from_(source))
