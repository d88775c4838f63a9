-- The field names of a JSON log's first records: top-level keys, literal dotted keys and paths into nested
-- objects (`log.level`, `@fields.lvl`), for mapping them to ours. reads: json_lines   params: $limit
-- returns: field
with sample as (
    select raw from json_lines where not is_blank(raw) and pre_reason is null and json_valid(raw) limit $limit
),
structure as (
    select json_group_structure(json(raw)) as s from sample where left(ltrim(raw), 1) = '{'
),
top as (
    select unnest(json_keys(s)) as field, s from structure
),
nested as (
    select field || '.' || unnest(json_keys(s, '$."' || replace(field, '"', '\"') || '"')) as field
    from top
    where json_type(s, '$."' || replace(field, '"', '\"') || '"') = 'OBJECT'
)
select field from top union select field from nested order by field
