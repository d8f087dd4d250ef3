"""The billing run: batches of subscriptions renewed and invoiced; jobs; test clocks."""
