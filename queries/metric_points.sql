-- Metric points as judged, per series and minute: a gauge's mean, a counter's rate per second with resets handled
-- (the metric_minutes view, see docs/definitions.md).
-- params: none
-- returns: name, labels, type, minute, value, points
select name, labels, type, minute, value, points
from metric_minutes
order by name, labels, minute
