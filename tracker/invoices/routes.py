"""Invoices for agency staff (routes)."""
