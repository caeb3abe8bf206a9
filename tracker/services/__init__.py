"""Business rules as plain functions: no request, no template, the caller commits."""


class DomainError(Exception):
    """A business rule refused the operation; the message is meant for the user."""
