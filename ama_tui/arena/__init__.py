"""The arena: deterministic backtests of any strategy on the embedded exchange's virtual clock,
their reports (result.json, report.md, CSVs, PNG charts) and leaderboards across seeds and presets.

Kept light on purpose: `ama-tui` builds the arena's parser (`cli_args`) at every start, so nothing
heavy is imported here; each module imports what it needs.
"""
