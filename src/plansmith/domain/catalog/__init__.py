"""The plan catalog: families, plans, immutable versions, add-ons, packs, prices."""
