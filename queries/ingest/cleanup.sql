-- Drops a file's temporary staging tables (they hold its raw lines, parsed records and rejects).
drop table if exists staged;
drop table if exists rejected;
drop table if exists repeated_hashes;
drop table if exists records;
drop table if exists source_lines
