"""Staffing request pages (in progress)."""
