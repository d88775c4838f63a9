-- Whether a CSV file's first lines (those sampled) hold one that opens a quoted field spanning lines: one pass
-- would be given up at that line (csv_lines), so the file is staged from its lines kept in a table at once.
-- reads: source_lines   params: $header_line   returns: found
select coalesce(bool_or(odd_quotes(raw)), false) as found from source_lines where rowid + 1 > $header_line
