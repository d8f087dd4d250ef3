"""The billing run in SQL: snapshots loaded in a fixed number of queries, outcomes written
in bulk, run records."""
