-- OTLP metrics JSON (an ExportMetricsServiceRequest per document, or one per line as the collector's file
-- exporter writes) into metric_staged: every data point of every gauge, sum and histogram. Attributes are the
-- resource's and the point's (the point's win). A monotonic cumulative sum is a counter; a delta or
-- non-monotonic sum is a gauge (its value is the amount itself). A histogram point gives two series, NAME_count
-- and NAME_sum (counters when cumulative). Times are timeUnixNano (a string or a number of nanoseconds).
-- params: $path, $compression (gzip|zstd|none), $max_bytes (the largest document to read)
insert into metric_staged
with doc as (
    select json as j
    from read_json_objects($path, format = 'auto', compression = $compression, maximum_object_size = $max_bytes)
),
resources as (
    select r -> '$.resource.attributes' as resource_attrs, unnest(cast(r -> '$.scopeMetrics' as json[])) as sm
    from (select unnest(cast(j -> '$.resourceMetrics' as json[])) as r from doc)
),
metrics as (
    select resource_attrs, unnest(cast(sm -> '$.metrics' as json[])) as m from resources
),
points as (
    select
        resource_attrs,
        m ->> '$.name' as name,
        case
            when (m -> '$.gauge') is not null then 'gauge'
            when (m -> '$.sum') is not null then 'sum'
            when (m -> '$.histogram') is not null then 'histogram'
        end as shape,
        coalesce(m ->> '$.sum.isMonotonic', 'false') = 'true'
            and coalesce(m ->> '$.sum.aggregationTemporality', m ->> '$.histogram.aggregationTemporality') in ('2', 'AGGREGATION_TEMPORALITY_CUMULATIVE')
            as monotonic_cumulative,
        coalesce(m ->> '$.histogram.aggregationTemporality', '') in ('2', 'AGGREGATION_TEMPORALITY_CUMULATIVE')
            as cumulative_histogram,
        unnest(coalesce(
            cast(m -> '$.gauge.dataPoints' as json[]),
            cast(m -> '$.sum.dataPoints' as json[]),
            cast(m -> '$.histogram.dataPoints' as json[]),
            []
        )) as p
    from metrics
),
values_of as (
    select
        name || suffix as name,
        label_json(map_concat(attribute_map(resource_attrs), attribute_map(p -> '$.attributes'))) as labels,
        to_timestamp(try_cast(p ->> '$.timeUnixNano' as hugeint) // 1000 / 1e6) as ts,
        p ->> '$.timeUnixNano' as ts_text,
        value_text,
        kind as type,
        left(cast(p as varchar), 200) as raw
    from points,
    lateral (
        select * from (values
            ('', coalesce(p ->> '$.asDouble', p ->> '$.asInt'),
             case when shape = 'sum' and monotonic_cumulative then 'counter' else 'gauge' end, shape <> 'histogram'),
            ('_count', p ->> '$.count', case when cumulative_histogram then 'counter' else 'gauge' end, shape = 'histogram'),
            ('_sum', p ->> '$.sum', case when cumulative_histogram then 'counter' else 'gauge' end, shape = 'histogram')
        ) as v(suffix, value_text, kind, wanted)
        where wanted
    )
)
select row_number() over () as ord, *, null as problem from values_of
