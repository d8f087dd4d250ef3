"""The /v1 account routes."""
