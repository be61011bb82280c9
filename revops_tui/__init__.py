"""revops-tui: a terminal workspace for Revenue Operations KPIs."""

__version__ = "0.1.0"
