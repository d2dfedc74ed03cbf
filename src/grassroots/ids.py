"""Row ids as people type them into URLs, forms and commands."""


def is_row_id(text: object) -> bool:
    """Whether text names a database row: ASCII digits within a 64-bit integer.

    `str.isdigit` alone accepts "²" and numbers too large for the database, which would fail in
    the query instead of being answered as unknown.
    """
    text = str(text)
    return text.isascii() and text.isdigit() and int(text) < 2**63
