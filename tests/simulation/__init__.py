"""Random account histories checked against a separately written model (issue 17).

Everything here but `harness.py` and the tests talks to plansmith over its HTTP API only: the
model (`model.py`) is written from PRODUCT.md's rules, not from the product's code, so a bug
shared by both cannot hide.
"""
