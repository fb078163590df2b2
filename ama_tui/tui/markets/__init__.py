"""A run over several markets in the dashboard: a tab per market plus the fleet overview."""
