"""The /v1 event routes."""
