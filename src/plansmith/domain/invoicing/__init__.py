"""Invoices, credit notes, coupons, taxes and the double-entry ledger."""
