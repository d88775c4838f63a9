-- A CSV file's records as text, from its lines kept in a table: a quoted field may hold newlines, so lines with
-- an odd number of quotes open and close a record spanning lines, which is numbered by its first line. A record
-- that does not come out with the header's width after joining (an unterminated quote) is split back into its
-- lines, so one bad quote costs one reject and never swallows the rows after it. Blank lines are no records.
-- reads: source_lines   params: $header_line, $delimiter, $field_pattern, $width
-- returns: line, file_no, blank, text (the record, to split into cells), raw (a record spanning lines, as
-- written), line_raw (NULL: the line is in source_lines), pre_reason
with lines as (
    select rowid + 1 as line, raw, pre_reason
    from source_lines
    where rowid + 1 > $header_line
),

marked as (
    select *, odd_quotes(raw) as odd
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
)

select
    line, 0 as file_no, false as blank,  -- a CSV file is read alone
    raw as text,
    case when contains(raw, chr(10)) then raw end as raw,
    null::varchar as line_raw,
    pre_reason
from candidates
where not is_blank(raw)
