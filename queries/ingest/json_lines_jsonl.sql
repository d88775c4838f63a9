-- JSON lines as the records query reads them: each physical line as written.
create or replace temp view json_lines as
select rowid + 1 as line, file_no, raw, pre_reason from source_lines
