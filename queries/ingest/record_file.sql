-- Records a file in the ingest log; its fingerprint makes the next ingest of it a no-op (unless it was rejected
-- whole, or --replace is given). returns: file_id
insert into files (file_id, path, sha256, kind, format, bytes, lines_read, blank, loaded, rejected, duplicates,
                   min_ts, max_ts, tz, clock_offset_s, ingested_at, seconds, continued, status, options)
values ($file_id, $path, $sha256, $kind, $format, $bytes, $lines_read, $blank, $loaded, $rejected, $duplicates,
        $min_ts, $max_ts, $tz, $clock_offset_s, now(), $seconds, $continued, $status, $options)
returning file_id
