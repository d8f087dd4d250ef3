"""Catalog use cases: families, plans, versions, publishing, add-ons, catalog files."""
