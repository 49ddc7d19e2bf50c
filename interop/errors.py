class FileProblem(Exception):
    """One file cannot be read: ``element`` names where (``""`` for the whole file)."""

    def __init__(self, element: str, message: str):
        super().__init__(message)
        self.element = element
        self.message = message


class UploadRejected(Exception):
    """The whole upload is refused (too large, a zip bomb, nothing to read): nothing is kept.
    ``status`` is the HTTP status an API would answer."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
