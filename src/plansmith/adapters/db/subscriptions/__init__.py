"""SQL repositories of subscriptions, their log, events and items."""
