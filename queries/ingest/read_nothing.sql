-- No lines: an empty file, or a file staged in one pass from its lines (nothing else reads them).
create or replace temp table source_lines (raw varchar, pre_reason varchar, file_no integer)
