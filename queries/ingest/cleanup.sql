-- Drops the staging tables of one file or batch (they hold its raw lines, parsed records and rejects).
drop view if exists staged;
drop table if exists staged_lines;
drop table if exists rejected;
drop table if exists repeated_hashes;
drop table if exists records;
drop table if exists source_lines
