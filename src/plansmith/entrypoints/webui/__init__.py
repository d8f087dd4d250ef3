"""What the portal and the console share: layout, static files, cookies, CSRF, error pages."""
