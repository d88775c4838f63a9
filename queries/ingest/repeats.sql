-- Extra copies of identical records, per staged file (see repeated_hashes). returns: file_no, repeats
select file_no, sum(copies)::bigint as repeats from repeated_hashes group by file_no
