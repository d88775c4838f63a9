-- Drops a staged file's raw lines and parsed records once its rejects are kept (keep_rejected): what the
-- append needs is `staged` alone.
drop table if exists records;
drop table if exists source_lines
