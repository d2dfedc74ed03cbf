"""Unit health: the constitution's indicators computed from the dated records (see `selectors`)."""
