"""The dashboard's widgets, one per module. Each module keeps its pure formatting helpers (what a
row or a line shows) apart from the widget, so they are tested without a running app."""
