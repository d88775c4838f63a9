-- The bookkeeping rows of the appended files, one per file, from parallel lists (one statement for a batch of
-- small files). params: one list per column below   returns: Count
insert into files (file_id, path, sha256, kind, format, bytes, lines_read, blank, loaded, rejected, duplicates,
                   min_ts, max_ts, tz, clock_offset_s, ingested_at, seconds, continued, status, options)
select
    unnest($file_id), unnest($path), unnest($sha256), $kind, $format, unnest($bytes), unnest($lines_read),
    unnest($blank), unnest($loaded), unnest($rejected), unnest($duplicates), unnest($min_ts), unnest($max_ts),
    $tz, $clock_offset_s, now(), unnest($seconds), unnest($continued), unnest($status), $options
