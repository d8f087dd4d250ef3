"""Payments: payment methods, payments (attempts at a gateway, top-ups, refunds), the prepaid
balance's rules and the dunning policy. Pure: no I/O, no clock."""
