-- When the incident was detected: the first error- or fatal-level record naming the failed room at or after
-- $degraded_at minus $lead_minutes (errors may lead the audio going bad).
-- params: $space_id, $degraded_at, $lead_minutes
-- returns: detected_at, service, level, code, message
select ts as detected_at, service, level, code, message
from error_events
where space_id = $space_id and level in ('error', 'fatal')
  and ts >= cast($degraded_at as timestamptz) - to_minutes(cast($lead_minutes as bigint))
order by ts, service, message
limit 1
