-- Drops a file's temporary staging tables (they hold its raw lines and parsed records).
drop table if exists staged;
drop table if exists records;
drop table if exists source_lines
