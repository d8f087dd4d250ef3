"""SQL repositories of organizations, API keys, operator users, sessions."""
