"""Infrastructure: the database connection, cache, audit trail, mail, backups, passwords and
the web plumbing (pagination, CSV downloads, links, request ids) that the domain rests on."""
