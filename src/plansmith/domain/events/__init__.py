"""Every event type by its stable name, and reading one back from its data."""
