"""The usage metering part of the /v1 API."""
