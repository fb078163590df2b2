"""Journal analytics (issue 17): a report over `actions.jsonl` files and their export.

Reads journals only, never writes into a state folder. The figures are built with DuckDB reading
JSONL directly (`load`), one module per figure; `report.build_report` is the entry point a screen
or a script calls. This package's `__init__` imports nothing, so the CLI can build its parsers
(`cli_args`) without loading DuckDB.
"""
