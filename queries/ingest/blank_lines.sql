-- Blank lines (empty or whitespace only) after line $after (a CSV's header), less those inside a record that
-- spans lines (a quoted CSV field may hold an empty line). reads: source_lines, staged   returns: blank
select
    (select count(*) from source_lines where rowid + 1 > $after and is_blank(raw))
    - (select coalesce(sum(len(list_filter(string_split(raw, chr(10)), lambda l: is_blank(l)))), 0)
       from staged where raw is not null)
    ::bigint as blank
