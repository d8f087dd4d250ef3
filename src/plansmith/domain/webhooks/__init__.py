"""Webhook endpoints: their URLs, event types, secrets and retry schedule."""
