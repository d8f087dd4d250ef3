"""Organizations (tenants), their keys, users, sessions and sign-in throttling."""
