"""The webhook endpoints of the /v1 API."""
