"""Pay statements for agency staff (routes)."""
