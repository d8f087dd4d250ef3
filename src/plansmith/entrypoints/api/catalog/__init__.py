"""The /v1 catalog routes and schemas."""
