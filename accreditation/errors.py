class ServiceError(Exception):
    """A refused action: a machine code for tests and clients, a translated message for people."""

    def __init__(self, code: str, message, *, field: str | int | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class TransitionError(ServiceError):
    pass
