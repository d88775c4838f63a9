-- A Prometheus HTTP API response (`/api/v1/query_range` matrix or `/api/v1/query` vector) into metric_staged:
-- one row per [unix_time, "value"] pair, read by DuckDB's JSON reader with the response's shape given (a
-- generic JSON walk of a 13 MB export ran out of a 1 GB memory limit; this reads it in a fraction of a second).
-- The series name is the `__name__` label; values are strings in the API (so "NaN" and "+Inf" can be said), read
-- by checked.sql. Points are numbered in document order.
-- params: $path, $compression (gzip|zstd|none), $max_bytes (the largest document to read), $default_name (a
-- result without `__name__`, such as rate(...), is named after the file)
insert into metric_staged
with series as (
    select unnest(data.result) as s
    from read_json(
        $path,
        columns = {
            'data': 'STRUCT(resultType VARCHAR, result STRUCT(metric MAP(VARCHAR, VARCHAR), "values" VARCHAR[][], value VARCHAR[])[])'
        },
        format = 'auto',
        compression = $compression,
        maximum_object_size = $max_bytes
    )
),
points as (
    select s.metric as metric, label_json(s.metric) as labels, unnest(coalesce(s."values", [s.value])) as p
    from series
),
final as (
    select
        coalesce(metric['__name__'], $default_name) as name,
        labels,
        to_timestamp(try_cast(p[1] as double)) as ts,
        p[1] as ts_text,
        p[2] as value_text,
        case when regexp_matches(coalesce(metric['__name__'], ''), '_(total|count|sum|bucket)$') then 'counter' else 'gauge' end
            as type,
        null as raw  -- a rejected point's is written from its parts (checked.sql)
    from points
)
select row_number() over () as ord, *, null as problem from final
