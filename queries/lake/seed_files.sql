-- Copies the lake's bookkeeping (the `files` Delta table, registered as lake_seed) into a private ingest
-- database before it loads anything, so ingest itself sees which files the lake already holds (and skips
-- them, or with --replace loads them again).
-- reads: lake_seed   params: none
insert into files by name
select * from lake_seed
