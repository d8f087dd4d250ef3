"""The outbox tables: events written with the change, deliveries, the relay's lease."""
