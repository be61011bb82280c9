"""The KPI engine: plain Python + Polars, no Textual (a test enforces it)."""
