-- Appends the valid staged join-log rows that are not exact duplicates of each other or of rows already
-- loaded (a shipper's at-least-once redelivery). Only rows in the staged time range can be duplicates.
-- reads: staged   params: $min_ts, $max_ts   returns: Count (rows inserted)
insert into join_events
select * exclude (line, raw, reason) from staged where reason is null
except
select * from join_events where ts between $min_ts and $max_ts
