"""Errors the user can act on. The CLI prints each as one line and exits non-zero."""


class PostmortemError(Exception):
    """Base class: the message is the whole user-facing explanation."""


class InputError(PostmortemError):
    """A path, file or option the user gave cannot be used."""


class DatabaseError(PostmortemError):
    """The database file cannot be opened or written (locked, read-only, disk full)."""


class QueryError(PostmortemError):
    """A named query is unknown or was called with the wrong parameters."""
