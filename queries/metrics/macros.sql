-- Macros the metrics readers share (temporary: this connection only). Run before any stage_* query.
-- params: none

-- Prometheus label text `a="x",b="y\"z"` -> its names and unescaped values (\\, \" and \n are the escapes).
create or replace temp macro prom_label_names(body) as
    regexp_extract_all(coalesce(body, ''), '([a-zA-Z_][a-zA-Z0-9_.]*)\s*=\s*"(?:[^"\\]|\\.)*"', 1);
create or replace temp macro prom_label_values(body) as
    list_transform(
        regexp_extract_all(coalesce(body, ''), '[a-zA-Z_][a-zA-Z0-9_.]*\s*=\s*"((?:[^"\\]|\\.)*)"', 1),
        lambda v: replace(replace(replace(replace(v, '\\', chr(0)), '\"', '"'), '\n', chr(10)), chr(0), '\')
    );

-- OTLP attributes ([{key, value: {stringValue | intValue | ...}}]) -> a map of their values as text.
create or replace temp macro attribute_map(attrs) as
    cast(map_from_entries(list_transform(
        coalesce(cast(attrs as json[]), []),
        lambda a: {'key': a ->> '$.key', 'value': coalesce(
            a ->> '$.value.stringValue', a ->> '$.value.intValue', a ->> '$.value.doubleValue',
            a ->> '$.value.boolValue', cast(a -> '$.value' as varchar))}
    )) as map(varchar, varchar));

-- A time as exported: epoch seconds or milliseconds (told apart by size), ISO-8601 with an offset, or a naive
-- date-time read in the zone `tz`.
create or replace temp macro metric_time(text, tz) as
    case
        when text is null then null
        when regexp_full_match(trim(text), '-?\d+(\.\d+)?') then to_timestamp(
            case when abs(try_cast(trim(text) as double)) >= 1e11 then try_cast(trim(text) as double) / 1000
                 else try_cast(trim(text) as double) end)
        when regexp_matches(trim(text), '(Z|[+-]\d\d:?\d\d)$') then try_cast(trim(text) as timestamptz)
        else timezone(tz, try_cast(trim(text) as timestamp))
    end;

-- A series' labels as one JSON object with sorted keys and without `__name__`, so equal label sets are equal
-- text. Computed once per distinct label set where a format repeats them on every point.
create or replace temp macro label_json(m) as
    cast(to_json(map_from_entries(list_sort(list_filter(map_entries(m), lambda e: e.key <> '__name__')))) as json);

-- A Grafana series header `name{label="value"}` (or a bare name) -> its name, and its labels as label_json (NULL
-- when a label is named twice).
create or replace temp macro grafana_series_name(series) as
    coalesce(nullif(regexp_extract(series, '^([^{]*)\{', 1), ''), series);
create or replace temp macro grafana_series_labels(series) as
    case when len(list_distinct(prom_label_names(regexp_extract(series, '\{(.*)\}$', 1))))
              = len(prom_label_names(regexp_extract(series, '\{(.*)\}$', 1)))
         then label_json(map(prom_label_names(regexp_extract(series, '\{(.*)\}$', 1)),
                  prom_label_values(regexp_extract(series, '\{(.*)\}$', 1)))) end;
