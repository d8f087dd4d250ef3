"""Usage metering use cases: meters, ingesting usage events, reading usage."""
