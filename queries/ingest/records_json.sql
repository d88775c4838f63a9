-- JSON lines -> records: each non-blank line parsed once, into the values of the mapped sources (`v`, in the
-- order of $sources, JSON paths) and its unmapped top-level keys (`extra`, a JSON object).
-- reads: json_lines (a view: JSON lines as written, or logfmt lines as JSON objects)
-- params: $sources, $known, $check_duplicates, $check_nested
-- returns: line, raw, parse_error, v, nested, extra
create or replace temp table records as
with lines as (
    select line, raw, pre_reason
    from json_lines
    where not is_blank(raw)
),

parsed as (
    select
        line, pre_reason,
        case
            when pre_reason is not null then null
            when not json_valid(raw) then 'invalid JSON'
            when left(ltrim(raw), 1) <> '{' then 'not a JSON object'
        end as parse_error,
        case when pre_reason is null and parse_error is null then raw end as doc
    from lines
),

keyed as (
    select
        line, pre_reason, parse_error, doc,
        json_extract_string(doc, $sources) as v,
        json_keys(doc) as keys
    from parsed
),

final as (
    select
        line,
        null::varchar as raw,
        coalesce(pre_reason, parse_error,
                 -- per record only where the file's first records show a duplicate key (costly on every line)
                 case when $check_duplicates and len(keys) <> list_unique(keys)
                      then 'a key appears twice in the JSON object' end) as parse_error,
        v,
        -- an object or array where one value belongs: per record only where the first records show one
        case when $check_nested and list_bool_or(list_transform(v, lambda x: left(x, 1) in ('{', '[')))
             then list_bool_or(list_transform($sources, lambda p: coalesce(json_type(doc, p) in ('OBJECT', 'ARRAY'), false)))
             else false end as nested,
        case
            when len(list_filter(keys, lambda k: not list_contains($known, k))) > 0 then
                to_json(map_from_entries(list_filter(map_entries(json_transform(doc, '"MAP(VARCHAR, JSON)"')),
                                                     lambda e: not list_contains($known, e.key))))
        end as extra
    from keyed
)

select * from final
