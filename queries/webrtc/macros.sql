-- Macros the WebRTC readers share (temporary: this connection only). Run before insert_stats.
-- params: none

-- A cumulative counter's sample -> what it counted since the stat's previous sample: none for the stat's first
-- sample; the value itself after a restart (a new stream under the same id counts from zero again).
create or replace temp macro counter_delta(value, previous, first_sample, restarted) as
    case when first_sample then null when restarted then value else value - previous end;
