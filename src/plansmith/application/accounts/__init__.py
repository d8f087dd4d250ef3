"""Account use cases: open, update, list; invoice addresses."""
