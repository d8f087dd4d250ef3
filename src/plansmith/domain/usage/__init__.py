"""Usage metering: meters over the events an operator sends, and where each event counts."""
