"""Usage: meters, charges on the billable quantity, allowances and packs (issue 15)."""
