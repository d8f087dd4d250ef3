"""Subscriptions: terms, status, changes, proration, renewals, held-terms log."""
