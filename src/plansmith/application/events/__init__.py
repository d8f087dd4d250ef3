"""The outbox of domain events: listing them, and the relay that hands them to subscribers."""
