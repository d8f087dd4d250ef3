"""Screens that show several capabilities at once: one query per screen, one transaction."""
