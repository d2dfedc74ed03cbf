"""The one error every action raises when a rule refuses a change."""


class ActionRefused(Exception):
    """An action refused: nothing was changed. `reasons` lists every rule that failed."""

    def __init__(self, message: str, *, reasons: list[str] | None = None, field: str | None = None):
        self.message = message
        self.reasons = reasons or []
        self.field = field
        super().__init__(self.full_message)

    @property
    def full_message(self) -> str:
        if not self.reasons:
            return self.message
        return f"{self.message}: " + "; ".join(self.reasons)
