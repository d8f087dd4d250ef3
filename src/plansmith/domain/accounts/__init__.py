"""Customer accounts and their invoice addresses."""
