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


def refuse_overlong(field: str, value: str, limit: int) -> None:
    """Refuse text longer than its column holds, naming the field (PostgreSQL would fail late)."""
    if len(value) > limit:
        raise ActionRefused(f"{field}: at most {limit} characters ({len(value)} given)", field=field)
