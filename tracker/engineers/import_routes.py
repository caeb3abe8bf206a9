"""CSV import pages (in progress)."""
