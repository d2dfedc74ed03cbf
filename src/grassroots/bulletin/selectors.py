"""Reads of the bulletin: publications, issues, the audience of an issue, and the articles a
reader may see (public ones to anyone, members' ones to the organization, subtree ones to it)."""

from __future__ import annotations

from django.core import signing
from django.db.models import Exists, FilteredRelation, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404

from grassroots.access import NotVisible, grants_for, is_operator, restrict
from grassroots.organizations.models import Organization, Unit
from grassroots.outbox.models import MailAddress
from grassroots.people.models import Membership, Person

from .models import Article, FeedToken, Issue, Publication, Subscription

CONFIRM_SALT = "grassroots.bulletin.confirm"


def all_statuses(organization: Organization) -> list[str]:
    """Every member status the organization's constitution names."""
    statuses = organization.constitution.member_statuses
    named = {statuses.initial, *statuses.counted, *statuses.transitions}
    for moves in statuses.transitions.values():
        named.update(moves)
    if statuses.founding:
        named.add(statuses.founding)
    return sorted(named)


def publications_visible_to(user, organization: Organization) -> QuerySet[Publication]:
    """The organization's publications, for anyone with a grant in it (each says whose it is)."""
    if not (is_operator(user) or not grants_for(user, organization.pk).is_empty):
        return Publication.objects.none()
    return Publication.objects.filter(organization=organization).select_related("unit")


def publication_for(user, organization: Organization, slug: str) -> Publication:
    publication = publications_visible_to(user, organization).filter(slug=slug).first()
    if publication is None:
        raise Http404(f"no publication '{slug}' in {organization.name}")
    return publication


def public_publication(organization_slug: str, slug: str) -> Publication:
    """A publication by its addresses, for the public archive and feed (no sign-in)."""
    publication = (
        Publication.objects.filter(organization__slug=organization_slug, slug=slug)
        .select_related("organization", "unit")
        .first()
    )
    if publication is None:
        raise Http404("no such publication")
    return publication


def units_publications(unit: Unit) -> QuerySet[Publication]:
    """The publications of a unit and of the units under it."""
    return Publication.objects.filter(
        organization_id=unit.organization_id, unit__path__gte=unit.path, unit__path__lt=unit.path + "~"
    )


def issue_of(publication: Publication, number: int) -> Issue:
    if not 1 <= number < 2**31:  # beyond what the column holds: no such issue, not a database error
        raise Http404(f"{publication.name} has no issue number {number}")
    issue = publication.issues.filter(number=number).select_related("mailing", "audience_unit").first()
    if issue is None:
        raise Http404(f"{publication.name} has no issue number {number}")
    return issue


def unit_by_slug(user, organization: Organization, slug: str) -> Unit:
    """A unit the user may see, by slug; one out of scope is not found, like one that does not exist."""
    unit = restrict(Unit.objects.all(), user=user, organization=organization).filter(slug=slug).first()
    if unit is None:
        if Unit.objects.filter(organization=organization, slug=slug).exists():
            raise NotVisible(f"no unit '{slug}'", organization=organization, what=f"unit {slug}")
        raise Http404(f"no unit '{slug}'")
    return unit


def audience_of(*, publication: Publication, unit: Unit | None = None, statuses: list[str] | None = None):
    """The people an issue goes to: in `unit`'s subtree (by default the publication's own), with
    a current membership in one of `statuses` (by default the counted member statuses). Members
    receive it by their membership; people of other statuses (supporters) only with a confirmed
    subscription; nobody who unsubscribed from this publication (even if someone asked for it
    again since, until they confirm); nobody erased."""
    organization = publication.organization
    counted = set(organization.constitution.member_statuses.counted)
    statuses = list(statuses) if statuses else sorted(counted)
    root = unit or publication.unit
    # One row per person, joined once to their current membership and to their subscription to
    # this publication (at most one of each: a person has one current membership, one
    # subscription per publication), so that every way of being reached is a condition on the
    # row: PostgreSQL plans hash joins over the three tables, however large. (A union of person
    # ids, or EXISTS under an OR, is a semi-join it estimates at 200 rows or runs per person:
    # a million index probes for an organization-wide issue.)
    people = Person.objects.filter(organization=organization, erased_at__isnull=True).annotate(
        current=FilteredRelation("memberships", condition=Q(memberships__end__isnull=True)),
        subscribed=FilteredRelation("subscriptions", condition=Q(subscriptions__publication=publication)),
    )
    in_place = Q(current__isnull=False)
    if root is not None:  # the subtree: the current membership's unit in the path range
        in_place &= Q(current__unit__path__gte=root.path, current__unit__path__lt=root.path + "~")
    confirmed = Q(subscribed__state=Subscription.State.CONFIRMED)
    members, others = [s for s in statuses if s in counted], [s for s in statuses if s not in counted]
    ways: list[Q] = []
    if members:
        ways.append(in_place & Q(current__status__in=members))
    if others:
        ways.append(in_place & Q(current__status__in=others) & confirmed)
    if root == publication.unit:
        # Someone with no membership at all who subscribed on the public form and confirmed: a
        # supporter by the subscription alone, outside every subtree, reached when the issue goes
        # to the publication's whole place.
        ways.append(Q(current__isnull=True) & confirmed)
    if not ways:
        return Person.objects.none()
    reached = ways[0]
    for way in ways[1:]:
        reached |= way
    if root is not None:
        # Where to look, for a subtree: the people of its current memberships (and the
        # publication's confirmed subscribers, for the third way), found by the unit path index,
        # so that a branch's issue reads its branch, not the whole organization. Everyone reached
        # is among them: the audience is the same.
        look = (
            Membership.objects.filter(end__isnull=True, unit__path__gte=root.path, unit__path__lt=root.path + "~")
            .order_by()
            .values("person_id")
        )
        if root == publication.unit:
            subscribers = Subscription.objects.filter(publication=publication, state=Subscription.State.CONFIRMED)
            look = look.union(subscribers.order_by().values("person_id"), all=True)
        people = people.filter(pk__in=look)
    # Unsubscribed, or asked again since (by a form anyone may fill in, or an organizer) without
    # confirming: nothing is sent until they confirm (an anti-join, as the held addresses are).
    stopped = Subscription.objects.filter(person=OuterRef("pk"), publication=publication).filter(
        Q(state=Subscription.State.UNSUBSCRIBED) | Q(unsubscribed_at__isnull=False)
    )
    held = MailAddress.objects.filter(on_hold=True, address=Lower(OuterRef("email")))
    return people.filter(reached).exclude(Exists(stopped)).exclude(Exists(held))


def recipient_count(**audience) -> int:
    """The exact number of messages a send would write: the audience with an address."""
    return audience_of(**audience).exclude(email="").count()


def _sees_subtree(grants, path: str) -> bool:
    if grants.everything:
        return True
    if grants.member_unit_path and grants.member_unit_path.startswith(path):
        return True
    return any(root.startswith(path) or path.startswith(root) for root, _ in grants.posts)


def articles_visible_to(user, issue: Issue) -> list[Article]:
    """The issue's articles this reader may see: public ones to anyone; members' ones to whoever
    belongs to the organization; subtree ones to its members and the officers over or within it."""
    articles = list(issue.articles.select_related("visibility_unit"))
    organization_id = issue.publication.organization_id
    grants = grants_for(user, organization_id)
    if is_operator(user) and getattr(user, "token_organization_id", None) in (None, organization_id):
        return articles
    return [article for article in articles if _may_read(article, grants)]


def _may_read(article: Article, grants) -> bool:
    if article.visibility == Article.Visibility.PUBLIC:
        return True
    if grants.is_empty:
        return False
    if article.visibility == Article.Visibility.MEMBERS:
        return True
    return article.visibility_unit is not None and _sees_subtree(grants, article.visibility_unit.path)


def published_issues(publication: Publication) -> QuerySet[Issue]:
    """The issues of the archive and the feeds: those sent (or being sent), newest first."""
    return publication.issues.filter(status__in=[Issue.Status.SENDING, Issue.Status.SENT]).order_by("-number")


def public_articles(issues) -> dict[int, list[Article]]:
    """The public articles of each issue, in one query (the public feed carries no others)."""
    by_issue: dict[int, list[Article]] = {issue.pk: [] for issue in issues}
    for article in Article.objects.filter(issue__in=list(by_issue), visibility=Article.Visibility.PUBLIC):
        by_issue[article.issue_id].append(article)
    return by_issue


def list_recipient(person_id: int, list_key: str) -> tuple[Publication, Person] | None:
    """The publication a list key (from a signed unsubscribe token) names and the person of its
    organization the token was made for; None when either is not found or they do not match."""
    number = list_key.removeprefix("publication-")
    if not list_key.startswith("publication-") or not number.isdigit():
        return None
    publication = Publication.objects.filter(pk=int(number)).select_related("organization").first()
    person = Person.objects.filter(pk=person_id).first()
    if publication is None or person is None or person.organization_id != publication.organization_id:
        return None
    return publication, person


def subscription_of(person: Person, publication: Publication) -> Subscription | None:
    return Subscription.objects.filter(person=person, publication=publication).first()


def subscriptions_of(person: Person) -> list[Subscription]:
    return list(Subscription.objects.filter(person=person).select_related("publication"))


def subscriptions_visible_to(user, publication: Publication) -> QuerySet[Subscription]:
    """A publication's subscriptions of the people `user` may see (an officer: those of their subtree)."""
    people = restrict(Person.objects.all(), user=user, organization=publication.organization)
    return (
        Subscription.objects.filter(publication=publication, person__in=people.values("pk"))
        .select_related("publication", "person")
        .order_by("pk")
    )


def feed_tokens_of(user, publication: Publication) -> QuerySet[FeedToken]:
    """The members' feed addresses `user` made for a publication (their digests only), newest first."""
    return FeedToken.objects.filter(publication=publication, user=user).order_by("-created_at", "-pk")


def feed_token_of(user, publication: Publication, token_id: int) -> FeedToken:
    """One members' feed address `user` made for the publication; 404 for an id that is not one
    of theirs there (another person's, another publication's, or none), so ids reveal nothing."""
    found = feed_tokens_of(user, publication).filter(pk=token_id).select_related("publication__organization").first()
    if found is None:
        raise Http404(f"no members' feed address {token_id} of yours for {publication.name}")
    return found


def subscription_by_token(token: str) -> Subscription | None:
    """The subscription a confirmation link was made for, or None for a link that is not ours."""
    try:
        pk = signing.Signer(salt=CONFIRM_SALT).unsign(token)
    except signing.BadSignature:
        return None
    if not pk.isdigit():
        return None
    return Subscription.objects.filter(pk=int(pk)).select_related("publication", "person").first()


def confirmation_token(subscription: Subscription) -> str:
    return signing.Signer(salt=CONFIRM_SALT).sign(str(subscription.pk))
