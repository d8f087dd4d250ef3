"""Usage metering storage: meters, events with their aggregates, settings."""
