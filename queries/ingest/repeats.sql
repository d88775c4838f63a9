-- How many valid staged records repeat an identical record (as written) of the same file, for --dedup auto.
-- reads: repeated_hashes   returns: repeats
select coalesce(sum(copies), 0)::bigint as repeats from repeated_hashes
