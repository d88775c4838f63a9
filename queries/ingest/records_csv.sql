-- CSV -> records, from the file's physical lines. A quoted field may hold newlines: lines with an odd number of
-- quotes open and close such a record, which is numbered by its first line. A record that does not come out
-- with the header's width after joining (an unterminated quote) is split back into its lines, so one bad quote
-- costs one reject and never swallows the rows after it. Empty cells are absent fields.
-- reads: source_lines   params: $header_line, $delimiter, $field_pattern, $width, $sources (column positions),
--                               $extra_names, $extra_positions
-- returns: line, file_no, blank, raw, line_raw, parse_error, v, extra (staging keeps it in a table `records`)
with lines as (
    select rowid + 1 as line, raw, pre_reason
    from source_lines
    where rowid + 1 > $header_line
),

marked as (
    select *, contains(raw, '"') and (length(raw) - length(replace(raw, '"', ''))) % 2 = 1 as odd
    from lines
),

-- Lines with an odd number of quotes pair up in file order: each pair opens and closes one multi-line record
-- (an unpaired last one runs to the end of the file). They are rare, so only they are windowed and grouped.
odd_lines as (
    select line, row_number() over (order by line) as k from marked where odd
),

spans as (
    select o.line as first_line, coalesce(c.line, (select max(line) from lines)) as last_line
    from odd_lines as o
    left join odd_lines as c on c.k = o.k + 1
    where o.k % 2 = 1
),

spanned as (
    select m.line, m.raw, m.pre_reason, s.first_line
    from marked as m
    join spans as s on m.line between s.first_line and s.last_line
),

joined as (
    select first_line as line, string_agg(coalesce(raw, ''), chr(10) order by line) as raw, max(pre_reason) as pre_reason,
           len(csv_fields(string_agg(coalesce(raw, ''), chr(10) order by line), $delimiter, $field_pattern)) = $width
               as fits
    from spanned
    group by first_line
),

candidates as (
    -- against the few spans (a hash anti join would hash every line)
    select m.line, m.raw, m.pre_reason from marked as m anti join spans as s on m.line between s.first_line and s.last_line
    union all
    select line, raw, pre_reason from joined where fits
    union all
    select s.line, s.raw, s.pre_reason from spanned as s semi join (select line from joined where not fits) as j
        on s.first_line = j.line
),

rows as (
    select line, raw, pre_reason, csv_fields(raw, $delimiter, $field_pattern) as cells
    from candidates
    where not is_blank(raw)
),

final as (
    select
        line, 0 as file_no, false as blank,  -- a CSV file is read alone; blank lines are no records
        case when contains(raw, chr(10)) then raw end as raw,
        null::varchar as line_raw,  -- the line is in source_lines
        coalesce(
            pre_reason,
            case when contains(raw, '"')
                      and list_bool_or(list_transform(cells, lambda c: left(c, 1) = '"' and (length(c) < 2 or right(c, 1) <> '"')))
                 then 'unterminated quote in a CSV field' end,
            case when len(cells) <> $width
                 then 'CSV row has ' || len(cells) || ' fields, the header has ' || $width end
        ) as parse_error,
        -- an unquoted cell is its value (empty cells read as absent: see field_value)
        case when contains(raw, '"') then list_transform(list_select(cells, $sources), lambda c: csv_cell(c))
             else list_select(cells, $sources) end as v,
        case when len($extra_positions) > 0 then
            nullif(to_json(map_from_entries(list_filter(
                list_transform(range(1, len($extra_positions) + 1),
                               lambda i: {'key': $extra_names[i], 'value': csv_cell(cells[$extra_positions[i]])}),
                lambda e: e.value is not null))), '{}')::json
        end as extra
    from rows
)

select * from final
