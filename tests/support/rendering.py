"""Counting the renderings of Markdown, wherever `article_html` was imported."""

from __future__ import annotations

from grassroots.bulletin import rendering


def count_renders(monkeypatch) -> list[str]:
    """The Markdown of every rendering from now on: it is counted at the parser markdown-it-py
    runs for it, the one place Markdown becomes HTML."""
    calls: list[str] = []
    real = rendering._markdown.render

    def counted(markdown: str, *args, **kwargs) -> str:
        calls.append(markdown)
        return real(markdown, *args, **kwargs)

    monkeypatch.setattr(rendering._markdown, "render", counted)
    return calls
