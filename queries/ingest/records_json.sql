-- JSON lines -> records: each line parsed once, into the values of the mapped sources (`v`, in the order of
-- $sources, JSON paths) and its unmapped top-level keys (`extra`, a JSON object). A blank line stays a row
-- (`blank`), so one pass from the file's lines keeps one row per line, in order.
-- reads: json_lines (JSON lines as written, or logfmt lines as JSON objects; `written`: the line as written)
-- params: $sources, $known, $check_duplicates, $check_nested, $max_keys (wider objects are rejects)
-- returns: line, file_no, blank, raw, line_raw (the line as written), parse_error, v (objects and arrays
-- marked: see is_container), extra
with lines as (
    select line, file_no, raw, written, pre_reason, is_blank(raw) as blank
    from json_lines
),

parsed as (
    select
        line, file_no, blank, raw, written, pre_reason,
        case
            when pre_reason is not null or blank then null
            when not json_valid(raw) then 'invalid JSON'
            when left(ltrim(raw), 1) <> '{' then 'not a JSON object'
        end as parse_error,
        case when pre_reason is null and parse_error is null and not blank then raw end as doc
    from lines
),

keyed as (
    select
        line, file_no, blank, written, pre_reason, parse_error, doc,
        json_extract_string(doc, $sources) as v,
        json_keys(doc) as keys
    from parsed
),

final as (
    select
        line, file_no, blank,
        null::varchar as raw,  -- a record spanning lines (JSON has none)
        written as line_raw,
        coalesce(pre_reason, parse_error,
                 case when len(keys) > $max_keys
                      then 'a JSON object with ' || len(keys) || ' keys, more than the ' || $max_keys || ' allowed' end,
                 -- per record only where the file's first records show a duplicate key (costly on every line)
                 case when $check_duplicates and len(keys) <> list_unique(keys)
                      then 'a key appears twice in the JSON object' end) as parse_error,
        -- an object or array is marked (chr(0) in front) so a field that takes it is rejected; checked per
        -- record only where the first records hold one in a mapped source
        case when $check_nested then list_transform(range(1, len(v) + 1), lambda i: case
                 when left(v[i], 1) in ('{', '[') and json_type(doc, $sources[i]) in ('OBJECT', 'ARRAY')
                     then chr(0) || v[i]
                 else v[i] end)
             else v end as v,
        case
            when len(keys) > $max_keys then null
            when len(list_filter(keys, lambda k: not list_contains($known, k))) > 0 then
                to_json(map_from_entries(list_filter(map_entries(json_transform(doc, '"MAP(VARCHAR, JSON)"')),
                                                     lambda e: not list_contains($known, e.key))))
        end as extra
    from keyed
)

select * from final
