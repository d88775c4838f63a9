-- Copies the lake's bookkeeping into a private ingest database before it loads anything, so ingest itself
-- sees which files the lake already holds (and skips them, or with --replace loads them again).
-- params: $paths (the lake's bookkeeping Parquet files)
insert into files by name
select * from read_parquet($paths)
