"""postmortem: incident postmortem analytics for live audio rooms."""

__version__ = "0.1.0"
