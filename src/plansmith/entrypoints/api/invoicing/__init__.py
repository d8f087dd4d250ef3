"""The /v1 invoice, credit note, tax, coupon and billing run routes."""
