"""Webhook endpoints, deliveries and attempts in SQL."""
