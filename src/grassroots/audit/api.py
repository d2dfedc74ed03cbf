"""REST endpoint of the audit trail: read-only, paginated, through the audit selector.

No endpoint creates, changes or deletes an audit record: the actions write them.
"""

from django.http import HttpRequest
from ninja import Router

from grassroots.api.pagination import paginated
from grassroots.api.schemas import QUERY_ERRORS, ErrorOut, IsoDate, Text
from grassroots.organizations.selectors import organization_for

from .schemas import AuditRecordOut
from .selectors import audit_records_visible_to

router = Router(tags=["audit trail"])


@router.get(
    "/{org_slug}/audit", response={200: list[AuditRecordOut], **QUERY_ERRORS, 403: ErrorOut}, summary="Audit trail"
)
@paginated
def list_audit_records(
    request: HttpRequest,
    org_slug: str,
    action: Text | None = None,
    actor: Text | None = None,
    since: IsoDate | None = None,
    until: IsoDate | None = None,
):
    """The audit records the caller may read, newest first: those of the units where they hold
    view_audit (all of them for an administrator). 403 for a caller who holds it nowhere.

    `action` matches one action or a family ("person" matches "person.add"); `actor` is part
    of who acted; `since` and `until` are days, both included.
    """
    organization = organization_for(request.auth, org_slug)
    return audit_records_visible_to(request.auth, organization, action=action, actor=actor, since=since, until=until)
