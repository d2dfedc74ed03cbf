"""Reads of the bulletin: publications, issues, the audience of an issue, and the articles a
reader may see (public ones to anyone, members' ones to the organization, subtree ones to it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Lower
from django.http import Http404

from grassroots.access import NotVisible, Right, grants_for, is_operator, restrict
from grassroots.errors import ActionRefused
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


def issue_for(user, publication: Publication, number: int) -> Issue:
    """The issue numbered `number` as `user` may see it: any one for who may publish the
    publication, a sent one (or one being sent) for anyone else, as `issues_visible_to` lists
    them; else 404 with the words of a number that does not exist."""
    issue = issue_of(publication, number)
    if issue.status not in (Issue.Status.SENDING, Issue.Status.SENT) and not may_publish(user, publication):
        raise Http404(f"{publication.name} has no issue number {number}")
    return issue


def article_of(issue: Issue, article_id: int) -> Article:
    """One article of the issue by id (404 for an id that is not one of its articles)."""
    article = (
        issue.articles.filter(pk=article_id).select_related("visibility_unit").first()
        if 1 <= article_id < 2**63
        else None
    )
    if article is None:
        raise Http404(f"{issue.label} has no article {article_id}")
    article.issue = issue
    return article


def subtree_choices(user, publication: Publication) -> list[tuple[str, str]]:
    """The units a subtree article of the publication may be for, as (slug, name) in tree order:
    those of its place (the whole organization, or its unit's subtree) that `user` may see."""
    units = restrict(Unit.objects.all(), user=user, organization=publication.organization)
    if publication.unit is not None:
        units = units.filter(path__gte=publication.unit.path, path__lt=publication.unit.path + "~")
    return list(units.order_by("path").values_list("slug", "name"))


def unit_by_slug(user, organization: Organization, slug: str) -> Unit:
    """A unit the user may see, by slug; one out of scope is not found, like one that does not exist."""
    unit = restrict(Unit.objects.all(), user=user, organization=organization).filter(slug=slug).first()
    if unit is None:
        if Unit.objects.filter(organization=organization, slug=slug).exists():
            raise NotVisible(f"no unit '{slug}'", organization=organization, what=f"unit {slug}")
        raise Http404(f"no unit '{slug}'")
    return unit


def covers_whole_place(publication: Publication, root: Unit | None) -> bool:
    """Whether an audience rooted at `root` is the publication's whole place: the publication's own
    unit, or (for the organization's publication) no root or a unit every unit lies under (the
    top, named explicitly). One EXISTS query at most."""
    if root == publication.unit:
        return True
    if publication.unit is not None or root is None:
        return False
    outside = Unit.objects.filter(organization_id=publication.organization_id).exclude(
        path__gte=root.path, path__lt=root.path + "~"
    )
    return not outside.exists()


def audience_of(*, publication: Publication, unit: Unit | None = None, statuses: list[str] | None = None):
    """The people an issue goes to: in `unit`'s subtree (by default the publication's own), with
    a current membership in one of `statuses` (by default the counted member statuses). Members
    receive it by their membership; people of other statuses (supporters) only with a confirmed
    subscription; nobody who unsubscribed from this publication (even if someone asked for it
    again since, until they confirm); nobody erased.

    Confirmed subscribers with no membership at all belong to no subtree: they are reached only
    when the audience is the publication's whole place (`covers_whole_place`: no unit, or the top
    unit named explicitly, give the same people) and `statuses` is the default or names the
    constitution's initial status (they are supporters by their subscription alone)."""
    organization = publication.organization
    counted = set(organization.constitution.member_statuses.counted)
    # A confirmed subscriber with no membership at all counts as one of the constitution's
    # initial status (a supporter): reached with the default statuses or when that one is named.
    without_membership = not statuses or organization.constitution.member_statuses.initial in statuses
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
    whole_place = covers_whole_place(publication, root) and without_membership
    if whole_place:
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
        if whole_place:
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
    """The number of people of the audience with an address (whatever the issue's articles are:
    `issue_audience` gives the number of messages an issue's send writes)."""
    return audience_of(**audience).exclude(email="").count()


# At most this many distinct subtrees of subtree articles in one issue: one bit of the variant each.
MAX_SUBTREES = 30
NOT_A_MEMBER = "nothing to read: no article of this issue is public and they are not a member"
OUTSIDE_SUBTREES = "nothing to read: every article of this issue is for a subtree they are not a member of"


@dataclass(frozen=True)
class Editions:
    """How an issue's articles divide its audience into editions of the mail, each recipient
    getting only the articles they may read: public ones to everyone; members' ones to the members
    (a current membership of a counted status); a subtree's ones to the members of that subtree.

    `variant` and `skip_reason` are expressions over `audience_of`'s people: the variant is a bit
    set (1: a member; 2, 4, ...: a member within the n-th subtree of `subtrees`), the reason is
    '' or why they get nothing (a subscriber who is not a member, when no article is public)."""

    articles: list[Article]
    subtrees: list[str]
    covering: frozenset[int]  # subtree articles whose subtree holds the whole audience's memberships
    variant: Any
    skip_reason: Any

    def articles_of(self, variant: int) -> list[Article]:
        """The articles a recipient of `variant` gets, in the issue's order."""
        member = bool(variant & 1)
        chosen = []
        for article in self.articles:
            if article.visibility == Article.Visibility.PUBLIC:
                chosen.append(article)
            elif not member:
                continue
            elif (
                article.visibility == Article.Visibility.MEMBERS
                or article.pk in self.covering
                or self._within(article, variant)
            ):
                chosen.append(article)
        return chosen

    def _within(self, article: Article, variant: int) -> bool:
        """Whether a recipient of `variant` is a member within the subtree article's subtree."""
        path = article.visibility_unit.path if article.visibility_unit is not None else None
        return path in self.subtrees and bool(variant & (2 << self.subtrees.index(path)))


def editions_of(*, publication: Publication, articles: list[Article], root: Unit | None) -> Editions:
    """The editions an issue's articles make for an audience rooted at `root` (see `Editions`).
    Refused (ActionRefused, naming `articles`) beyond MAX_SUBTREES distinct subtrees."""
    counted = sorted(publication.organization.constitution.member_statuses.counted)
    member = Q(current__status__in=counted)
    covering, paths = set(), set()
    for article in articles:
        if article.visibility != Article.Visibility.SUBTREE or article.visibility_unit is None:
            continue
        path = article.visibility_unit.path
        if root is not None and root.path.startswith(path):
            covering.add(article.pk)
        elif root is None or path.startswith(root.path):
            paths.add(path)  # a subtree outside the audience's reaches nobody: no bit for it
    subtrees = sorted(paths)
    if len(subtrees) > MAX_SUBTREES:
        raise ActionRefused(
            f"articles: the articles of an issue may be for at most {MAX_SUBTREES} subtrees, not {len(subtrees)}",
            field="articles",
        )
    within = [Q(current__unit__path__gte=path, current__unit__path__lt=path + "~") for path in subtrees]
    bits: Any = Value(1)
    for index, place in enumerate(within):
        bits = bits + Case(When(place, then=Value(2 << index)), default=Value(0))
    variant = Case(When(member, then=bits), default=Value(0), output_field=IntegerField())
    kinds = {article.visibility for article in articles}
    everyone_reads = Article.Visibility.PUBLIC in kinds
    members_read: Any = Value("")
    if not (everyone_reads or Article.Visibility.MEMBERS in kinds or covering):
        anywhere = Q(pk__in=[])
        for place in within:
            anywhere |= place
        members_read = Case(When(anywhere, then=Value("")), default=Value(OUTSIDE_SUBTREES))
    skip_reason = Case(
        When(member, then=members_read),
        default=Value("" if everyone_reads else NOT_A_MEMBER),
        output_field=CharField(),
    )
    return Editions(articles, subtrees, frozenset(covering), variant, skip_reason)


@dataclass(frozen=True)
class AudienceCount:
    """What sending an issue to an audience would do: `recipients` messages (the number to
    confirm), `nothing_to_read` people of the audience who get none (each a skipped row with its
    reason), of whom and besides, `without_membership` confirmed subscribers with no membership."""

    recipients: int
    nothing_to_read: int
    without_membership: int


def issue_audience(*, issue: Issue, unit: Unit | None = None, statuses: list[str] | None = None) -> AudienceCount:
    """The count shown before sending `issue` to the audience (`audience_of`): exactly the rows
    its send queues, in one query."""
    publication = issue.publication
    root = unit or publication.unit
    articles = list(issue.articles.select_related("visibility_unit"))
    editions = editions_of(publication=publication, articles=articles, root=root)
    people = audience_of(publication=publication, unit=unit, statuses=statuses).exclude(email="")
    counts = people.annotate(skip=editions.skip_reason).aggregate(
        recipients=Count("pk", filter=Q(skip="")),
        nothing_to_read=Count("pk", filter=~Q(skip="")),
        without_membership=Count("pk", filter=Q(current__isnull=True)),
    )
    return AudienceCount(**counts)


@dataclass(frozen=True)
class EditionPreview:
    """One edition of an issue's mail as a send would write it: who it is for (`name`), how many
    recipients get it, and its articles in the issue's order."""

    variant: int
    name: str
    recipients: int
    articles: list[Article]


def edition_previews(
    *, issue: Issue, unit: Unit | None = None, statuses: list[str] | None = None
) -> list[EditionPreview]:
    """Every edition sending `issue` to the audience would write (public: subscribers without
    membership; members'; members within each subtree an article is for), with its number of
    recipients, which add up to `issue_audience`'s. Three queries: the articles, one grouped count
    and the names of the subtrees."""
    publication = issue.publication
    root = unit or publication.unit
    articles = list(issue.articles.select_related("visibility_unit"))
    editions = editions_of(publication=publication, articles=articles, root=root)
    people = audience_of(publication=publication, unit=unit, statuses=statuses).exclude(email="")
    grouped = (
        people.annotate(skip=editions.skip_reason, edition=editions.variant)
        .filter(skip="")
        .values("edition")
        .annotate(n=Count("pk"))
        .order_by("edition")
    )
    counts = {row["edition"]: row["n"] for row in grouped}
    names = (
        dict(
            Unit.objects.filter(organization_id=publication.organization_id, path__in=editions.subtrees).values_list(
                "path", "name"
            )
        )
        if editions.subtrees
        else {}
    )
    previews = []
    for variant, count in sorted(counts.items()):
        if not variant & 1:
            name = "Public edition (recipients who are not members)"
        else:
            places = [names.get(path, path) for index, path in enumerate(editions.subtrees) if variant & (2 << index)]
            name = "Members' edition" + (f": members in {' and '.join(places)}" if places else "")
        previews.append(EditionPreview(variant, name, count, editions.articles_of(variant)))
    return previews


def may_publish(user, publication: Publication) -> bool:
    """Whether `user` may edit and send the publication's issues (the right to manage its place)."""
    if is_operator(user):
        return getattr(user, "token_organization_id", None) in (None, publication.organization_id)
    grants = grants_for(user, publication.organization_id)
    if publication.unit is None:
        return grants.everything
    return grants.allows(Right.MANAGE_UNITS, publication.unit.path)


def issues_visible_to(user, publication: Publication) -> QuerySet[Issue]:
    """The publication's issues `user` may list, the latest first: every one (drafts and scheduled
    ones too) for who may publish it, the published ones (as the archive lists them) for anyone else."""
    if may_publish(user, publication):
        return publication.issues.order_by("-number")
    return published_issues(publication)


def _counted_member_path(user, grants, organization) -> str | None:
    """The unit path of the reader's current membership when it is of a counted member status (a
    member, as the mail's editions count them), else None; read once per user and organization."""
    if grants.person_id is None or grants.member_unit_path is None:
        return None
    cache = user.__dict__.setdefault("_grassroots_counted_member", {})
    if organization.pk not in cache:
        counted = organization.constitution.member_statuses.counted
        current = Membership.objects.filter(person_id=grants.person_id, end__isnull=True, status__in=counted)
        cache[organization.pk] = grants.member_unit_path if current.exists() else None
    return cache[organization.pk]


def articles_visible_to(user, issue: Issue) -> list[Article]:
    """The issue's articles this reader may see, by the rule the mail's editions follow
    (`Editions`): public ones to anyone; members' ones to the organization's members (a current
    membership of a counted status) and its officers; subtree ones to the members of that subtree
    and the officers over or within it; all of them to its administrators."""
    articles = list(issue.articles.select_related("visibility_unit"))
    organization = issue.publication.organization
    grants = grants_for(user, organization.pk)
    if grants.everything or (
        is_operator(user) and getattr(user, "token_organization_id", None) in (None, organization.pk)
    ):
        return articles
    member_path = _counted_member_path(user, grants, organization) if not grants.is_empty else None
    return [article for article in articles if _may_read(article, grants, member_path)]


def _may_read(article: Article, grants, member_path: str | None) -> bool:
    if article.visibility == Article.Visibility.PUBLIC:
        return True
    if article.visibility == Article.Visibility.MEMBERS:
        return member_path is not None or bool(grants.posts)
    if article.visibility_unit is None:
        return False
    path = article.visibility_unit.path
    if member_path is not None and member_path.startswith(path):
        return True
    return any(root.startswith(path) or path.startswith(root) for root, _ in grants.posts)


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
