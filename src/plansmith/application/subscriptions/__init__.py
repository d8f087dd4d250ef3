"""Subscription use cases: subscribe, change, cancel, pause, resume, queries."""
