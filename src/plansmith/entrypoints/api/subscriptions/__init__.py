"""The /v1 subscription routes and schemas."""
