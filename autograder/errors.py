"""Errors that reach the command line as one clear line."""


class UsageError(Exception):
    """Bad input from the user (a path, an option, a model set): exit code 2, no traceback."""
