"""The Textual workspace: departments, KPI cards, drill-down to records (issue 4)."""
