"""The API's JSON parser: ninja's, refusing text no database can store."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.parser import Parser


class UnencodableText(ValueError):
    """A JSON body holds text no database can store (a lone surrogate such as "\\ud800")."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


def _unencodable(value, where: str = "") -> str | None:
    """The dotted name of the first field whose key or text cannot be encoded as UTF-8, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where or "body"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{where}.{key}" if where else str(key)
            found = _unencodable(key, name) or _unencodable(item, name)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _unencodable(item, f"{where}.{index}" if where else str(index))
            if found:
                return found
    return None


class JsonParser(Parser):
    """ninja's JSON parser, refusing text that cannot be encoded (answered 422 naming the field)."""

    def parse_body(self, request: HttpRequest):
        data = super().parse_body(request)
        field = _unencodable(data)
        if field is not None:
            raise UnencodableText(field)
        return data
