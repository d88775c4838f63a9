-- The first non-blank line of the file (a CSV's header). reads: source_lines   returns: line
select min(rowid) + 1 as line from source_lines where not is_blank(raw)
