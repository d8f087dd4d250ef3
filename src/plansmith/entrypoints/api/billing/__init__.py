"""The /v1 test clock routes."""
