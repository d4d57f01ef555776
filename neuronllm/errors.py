"""One exception type for mistakes a user can fix; the CLI prints it as a single line."""


class UserError(Exception):
    """Bad input (unknown task/method/model, malformed file, impossible budget): one-line message, no traceback."""
