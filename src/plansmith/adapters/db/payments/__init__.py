"""Payments in SQL: payment methods, payments, collections, policies."""
