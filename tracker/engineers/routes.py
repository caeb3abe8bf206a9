"""Engineer pages (in progress)."""
