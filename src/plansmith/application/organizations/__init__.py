"""Organizations, API keys, console users, sign-in and browser sessions."""
