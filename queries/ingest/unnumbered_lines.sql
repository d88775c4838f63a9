-- The lines of lines_of_files as one pass reads them, before they are numbered: the rows that pass makes are
-- one per line, in order, and take their numbers from the table they are written to (see staged_view).
select null::bigint as line, file_no, raw, pre_reason from lines_of_files
