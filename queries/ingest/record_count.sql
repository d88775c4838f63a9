-- Records per file (a record is a line, or the lines a quoted CSV field or a stack trace joins).
-- reads: staged (one row per record)   returns: file_no, records
select file_no, count(*) as records from staged group by file_no
