"""Metrics exported beside the logs: what a dashboard showed, aligned with the incident the logs tell.

`read` recognises and loads an export (the write side, called by ingest); `changes` finds, per series, when it
moved away from its pre-incident baseline and what an alert would have done (the read side, called by the
summary); `figures` turns those facts into the report's charts and rows.
"""
