-- The lines of `source_lines` (a file's lines, read into a table) with their line numbers (rowid + 1).
select rowid + 1 as line, file_no, raw, pre_reason from source_lines
