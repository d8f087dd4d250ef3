"""SQL repositories of customer accounts and their invoice addresses."""
