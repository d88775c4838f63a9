-- The per-minute values of the named series (the report's metric charts), in the order the lists give them.
-- params: $names, $labels (parallel lists: a series is (name, labels as sorted JSON text))
-- returns: series_no, name, labels, minute, value
with wanted as (
    select unnest($names) as name, unnest($labels) as labels, unnest(range(len($names))) as series_no
)
select w.series_no, m.name, m.labels, m.minute, m.value
from metric_minutes_of(
    cast('-infinity' as timestamptz),
    cast('infinity' as timestamptz),
    list_transform(list_zip($names, $labels), lambda p: p[1] || chr(31) || p[2])
) as m
join wanted as w on w.name = m.name and w.labels = cast(m.labels as varchar)
order by w.series_no, m.minute
