"""Errors that reach the command line as one clear line."""


class UsageError(Exception):
    """Bad input from the user (a path, an option, a model set): exit code 2, no traceback."""


class GraderFault(Exception):
    """Something went wrong on the grader's side (a model that does not load, a reference computation that
    raises): the student gets status `error` and no score, never points lost."""


class CheckFailed(AssertionError):
    """A check found the student's result wrong; the message is meant for the student (every lab's
    comparisons raise it, and only its message and StudentFailure's reach the student)."""
