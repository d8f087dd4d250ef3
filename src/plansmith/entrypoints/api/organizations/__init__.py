"""The /v1 API key routes."""
