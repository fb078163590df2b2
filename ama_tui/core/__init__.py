"""Pure functions and immutable models: units, pricing, margin, planning. No I/O, no clock."""
