"""Reading rendered pages in tests: the visible text of a page or of one element in it."""

from __future__ import annotations

from html.parser import HTMLParser

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Text(HTMLParser):
    """Collects the text inside the element with `element_id` (the whole page when None)."""

    def __init__(self, element_id: str | None):
        super().__init__(convert_charrefs=True)
        self.element_id = element_id
        self.inside = 0 if element_id else 1  # elements open since the wanted one began
        self.found = element_id is None
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in VOID_ELEMENTS:
            return
        if self.inside:
            self.inside += 1
        elif not self.found and dict(attrs).get("id") == self.element_id:
            self.inside, self.found = 1, True

    def handle_endtag(self, tag):
        if tag not in VOID_ELEMENTS and self.inside and self.element_id:
            self.inside -= 1

    def handle_data(self, data):
        if self.inside:
            self.parts.append(data)


def text(response, element_id: str | None = None) -> str:
    """The text of the page, or of the element with this id, with whitespace collapsed."""
    parser = _Text(element_id)
    parser.feed(response.content.decode())
    assert parser.found, f"no element with id {element_id!r} on the page"
    return " ".join(" ".join(parser.parts).split())
