-- The field names of a JSON log's first records: top-level keys, literal dotted keys and paths into nested
-- objects (`log.level`, `@fields.lvl`), for mapping them to ours. A record wider than $max_keys is left out (it
-- is a reject). Each key's structure is taken apart once, so the cost grows with the keys, not keys squared.
-- reads: json_lines   params: $limit, $max_keys
-- returns: field
with sample as (
    select raw from json_lines
    where not is_blank(raw) and pre_reason is null and json_valid(raw) and left(ltrim(raw), 1) = '{'
          and len(json_keys(raw)) <= $max_keys
    limit $limit
),
structure as (
    select json_group_structure(json(raw)) as s from sample
),
top as (
    select unnest(map_entries(json_transform(s, '"MAP(VARCHAR, JSON)"'))) as entry from structure
),
nested as (
    select entry.key || '.' || unnest(json_keys(entry.value)) as field
    from top
    where json_type(entry.value) = 'OBJECT'
)
select entry.key as field from top union select field from nested order by field
