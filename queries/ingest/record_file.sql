-- Records a loaded file in the ingest log; its fingerprint makes the next ingest of it a no-op.
-- returns: file_id
insert into files (path, sha256, kind, format, bytes, lines_read, blank, loaded, rejected, duplicates,
                   min_ts, max_ts, tz, clock_offset_s, ingested_at, seconds)
values ($path, $sha256, $kind, $format, $bytes, $lines_read, $blank, $loaded, $rejected, $duplicates,
        $min_ts, $max_ts, $tz, $clock_offset_s, now(), $seconds)
returning file_id
