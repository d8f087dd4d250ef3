"""Usage: meters and the events they count, charge models and rating, allowances."""
