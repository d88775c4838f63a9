-- CSV -> records: each record's text (csv_records: joined from the lines kept in a table, or one per line in one
-- pass) split into its cells once, checked for the header's width and unterminated quotes. Empty cells are
-- absent fields; a blank row stays a row without values.
-- reads: csv_records   params: $delimiter, $field_pattern, $width, $positions (the mapped sources' columns),
--                              $extra_names, $extra_positions
-- returns: line, file_no, blank, raw, line_raw, parse_error, v, extra
with rows as (
    select *, case when not blank then csv_fields(text, $delimiter, $field_pattern) end as cells
    from csv_records
),

final as (
    select
        line, file_no, blank, raw, line_raw,
        case when not blank then coalesce(
            pre_reason,
            case when contains(text, '"')
                      and list_bool_or(list_transform(cells, lambda c: left(c, 1) = '"' and (length(c) < 2 or right(c, 1) <> '"')))
                 then 'unterminated quote in a CSV field' end,
            case when len(cells) <> $width
                 then 'CSV row has ' || len(cells) || ' fields, the header has ' || $width end
        ) end as parse_error,
        -- an unquoted cell is its value (empty cells read as absent: see field_value)
        case when contains(text, '"') then list_transform(list_select(cells, $positions), lambda c: csv_cell(c))
             else list_select(cells, $positions) end as v,
        case when len($extra_positions) > 0 and not blank then
            nullif(to_json(map_from_entries(list_filter(
                list_transform(range(1, len($extra_positions) + 1),
                               lambda i: {'key': $extra_names[i], 'value': csv_cell(cells[$extra_positions[i]])}),
                lambda e: e.value is not null))), '{}')::json
        end as extra
    from rows
)

select * from final
