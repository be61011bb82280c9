"""KPI oracle: an independent DuckDB SQL implementation of the KPI catalog.

The modules here compute every KPI of kpis.md (the spec beside the checkout: the catalog, its numbered edge-case
rules and its filter table) straight from the Parquet tables of data-contract.md, written from the
spec alone. They never import the engine's KPI code: test_oracle.py runs the program's CLI
(`report --format json`) in-process and compares every KPI's every month, and its availability under
filters and missing tables, with the oracle's. A rewrite of the engine (for speed, a new dataframe
library, incremental recomputation) therefore cannot change a number unnoticed.

- tables.py, months.py, filters.py, settings.py: the shared ground (tables with datetimes taken as
  UTC dates, the month calendar with E(M), the filter table, config values).
- customer_mrr.py: MRR_c(E(M)), first active day and the MRR movements, used by two departments.
- overview.py, marketing_success.py, sales.py, quality.py: one function per department returning
  {kpi_id: {"YYYY-MM": value or None}}, only for KPIs that have a value under the given filters and
  tables.
- datasets.py: the auditors' hand-made edge-case data sets, written into a pytest tmp folder.

Keep the SQL independent of revops_tui: when a number differs, settle it from the spec, not from the
program's code.
"""
