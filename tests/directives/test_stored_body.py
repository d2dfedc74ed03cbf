"""A directive's body is rendered from Markdown once, when it is saved (drafted, re-issued or
passed on), and its pages and notices serve the stored HTML, as the bulletin's articles do."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from grassroots.directives import actions
from grassroots.directives.models import Directive
from grassroots.outbox.models import Mailing
from tests.support import builders
from tests.support.directives import DUE, region
from tests.support.rendering import count_renders
from tests.support.sessions import sign_in

pytestmark = pytest.mark.django_db
BODY = "Hand out **leaflets** at [Elm](https://example.org/elm).\n\n<script>x()</script>"
HTML = (
    '<p>Hand out <strong>leaflets</strong> at <a href="https://example.org/elm" rel="noopener noreferrer">Elm</a>.'
    "</p>\n<p>&lt;script&gt;x()&lt;/script&gt;</p>\n"
)


def _pages(scene, directive) -> list[str]:
    admin = sign_in(Client(), builders.account(scene.org, "admin@example.org", is_admin=True))
    house = scene.committees["district-1"][0]
    return [
        admin.get(reverse("directive", args=[scene.org.slug, directive.pk])).content.decode(),
        admin.get(reverse("assignment", args=[scene.org.slug, directive.pk, house.slug])).content.decode(),
    ]


def test_the_body_is_rendered_when_saved_and_the_pages_serve_it_as_stored(monkeypatch):
    scene = region()
    renders = count_renders(monkeypatch)
    directive = actions.create_directive(
        issuer=scene.top, title="Leaflets", body=BODY, due=DUE, by="test", target_kind="building_committee"
    )
    actions.issue_directive(directive=directive, by="test")
    assert renders == [BODY]
    assert Directive.objects.get(pk=directive.pk).body_html == HTML
    assert HTML in Mailing.objects.get(subject__startswith="New directive").html_body
    renders.clear()
    pages = _pages(scene, directive)
    assert renders == []
    assert all(f'<div class="prose">{HTML}</div>' in page for page in pages)

    actions.reissue_directive(directive=directive, by="test", body="Now **posters**.")
    assert renders == ["Now **posters**."]
    renders.clear()
    assert all(
        '<div class="prose"><p>Now <strong>posters</strong>.</p>\n</div>' in page for page in _pages(scene, directive)
    )
    assert renders == []


def test_the_migration_renders_the_bodies_of_directives_already_stored():
    scene = region()
    directive = actions.create_directive(
        issuer=scene.top, title="Leaflets", body=BODY, due=DUE, by="test", target_kind="building_committee"
    )
    Directive.objects.update(body_html="")  # as the rows were before the field existed
    migration = importlib.import_module("grassroots.directives.migrations.0003_directive_body_html")
    migration.render_bodies(apps, None)  # it alters no table: the field was added before it
    assert Directive.objects.get(pk=directive.pk).body_html == HTML
