"""How the timestamps in logs are read at ingest (times shown to people and typed on the command line are
postmortem/human_times.py's): the parameters of `ts_iso`, `epoch_ts` and `parse_ts_text` (queries/ingest/macros.sql).

ISO-8601 and epoch numbers need nothing; other forms are tried against formats in order (the user's first,
then unambiguous common ones); zone abbreviations DuckDB does not know are given as offsets. A zone written in
the text always wins over --tz, which only says what naive text means.
"""

from __future__ import annotations

from postmortem.mapping import DEFAULT_TS_FORMATS, YEARLESS_TS_FORMATS

# Abbreviations DuckDB's zone database does not resolve (it does know UTC, GMT, EST, MST, HST and IANA names).
# Ambiguous ones (IST, CST as China time, BST as Bangladesh time) are read as the zone most logs mean.
ZONE_OFFSETS = {
    "PST": "-08:00",
    "PDT": "-07:00",
    "MDT": "-06:00",
    "CST": "-06:00",
    "CDT": "-05:00",
    "EDT": "-04:00",
    "AKST": "-09:00",
    "AKDT": "-08:00",
    "HST": "-10:00",
    "BST": "+01:00",
    "CET": "+01:00",
    "CEST": "+02:00",
    "EET": "+02:00",
    "EEST": "+03:00",
    "WET": "+00:00",
    "WEST": "+01:00",
    "IST": "+05:30",
    "JST": "+09:00",
    "KST": "+09:00",
    "AEST": "+10:00",
    "AEDT": "+11:00",
    "NZST": "+12:00",
    "NZDT": "+13:00",
    "SGT": "+08:00",
    "UT": "+00:00",
}


def parameters(tz: str, formats: list[str], year: int, clock_offset_s: float) -> dict:
    """The bound parameters of the staging queries' timestamp parsing."""
    zones = sorted(ZONE_OFFSETS)
    user_yearless = [f for f in formats if "%Y" not in f and "%y" not in f and "%s" not in f]
    return {
        "tz": tz,
        # a format without a year is tried only with the year prepended: strptime alone would say 1900
        "ts_formats": list(dict.fromkeys([*(f for f in formats if f not in user_yearless), *DEFAULT_TS_FORMATS])),
        "yearless_formats": ["%Y " + f for f in (*user_yearless, *YEARLESS_TS_FORMATS)],
        "year": year,
        "zones": zones,
        "offsets": [ZONE_OFFSETS[z] for z in zones],
        "clock_offset_us": round(clock_offset_s * 1_000_000),
    }
