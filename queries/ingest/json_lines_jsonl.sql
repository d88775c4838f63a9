-- JSON lines as the records query reads them: each physical line as written.
-- reads: numbered_lines (line, file_no, raw, pre_reason)   returns: line, file_no, raw, written, pre_reason
select line, file_no, raw, raw as written, pre_reason from numbered_lines
