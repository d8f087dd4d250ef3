"""SQL repositories of the catalog."""
