-- An empty file: no lines.
create or replace temp table source_lines (raw varchar, pre_reason varchar, file_no integer)
