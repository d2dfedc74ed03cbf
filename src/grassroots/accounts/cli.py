"""The command line of accounts: users and API tokens."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from grassroots.accounts.actions import create_account, create_api_token, revoke_api_token
from grassroots.accounts.models import ApiToken
from grassroots.cli.common import (
    Refusal,
    cli_actor,
    get_organization,
    get_person,
    out,
)

token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their accounts in organizations.", no_args_is_help=True)


def _user(email: str):
    user = get_user_model().objects.filter(username=email.strip().lower()).first()
    if user is None:
        raise Refusal(f"no user '{email}'")
    return user


@token_app.command("create")
def token_create(
    email: str,
    org: Annotated[str, typer.Option("--org", help="The organization the token reaches (only that one).")],
    days: Annotated[int, typer.Option("--days", help="Days until it expires.")] = 90,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "",
) -> None:
    """Issue an API token for a user in one organization; it is printed once and stored only as a hash."""
    user = _user(email)
    record, token = create_api_token(
        user=user, organization=get_organization(org), days=days, name=name, by=cli_actor()
    )
    out.print(
        f"Token {record.prefix}… for {user.get_username()} in {org}, expires {record.expires_at:%Y-%m-%d}. "
        "It is shown only now:",
        style="bold",
    )
    sys.stdout.write(token + "\n")


@token_app.command("revoke")
def token_revoke(prefix: str) -> None:
    """Revoke the token whose prefix this is (as `token create` and the tokens page show it)."""
    prefix = prefix.strip().rstrip("…")
    if not prefix:
        raise Refusal("give the token's prefix, e.g. gr_AbCdEfG")
    # The whole token pasted also names its token: its first characters are the stored prefix.
    matching = list(ApiToken.objects.filter(prefix__startswith=prefix).select_related("user", "organization")[:20])
    matching = matching or list(ApiToken.objects.filter(prefix=prefix[:10]).select_related("user", "organization"))
    if len(matching) > 1:
        usable = [token for token in matching if token.revoked_at is None]
        if len(usable) != 1:
            raise Refusal(f"several tokens start with '{prefix}'; give more of it")
        matching = usable
    if not matching:
        raise Refusal(f"no token starts with '{prefix}'")
    token = revoke_api_token(token=matching[0], by=cli_actor())
    out.print(f"Token {token.prefix}… of {token.user.get_username()} in {token.organization.slug} is revoked.")


def _new_password() -> str:
    """The password from standard input when it is piped (its first line), else typed twice."""
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise Refusal("no password on standard input (or give --no-password)")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password again: "):
            raise Refusal("the two passwords differ")
        if not password:
            raise Refusal("the password is empty (or give --no-password)")
    try:
        validate_password(password)
    except ValidationError as error:
        raise Refusal("password: " + " ".join(error.messages)) from None
    return password


@user_app.command("create")
def user_create(
    email: str,
    org: Annotated[str, typer.Option("--org", help="The organization of the account.")],
    person: Annotated[str | None, typer.Option("--person", help="Who they are there: id or email.")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="Administers the whole organization.")] = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password: they cannot sign in until one is set.")
    ] = False,
) -> None:
    """Give a user (created if new) an account in an organization.

    The password is read from standard input when it is piped (the first line), else asked for
    twice. Their rights come from the organization: --admin, or the posts and membership of --person.
    """
    organization = get_organization(org)
    who = get_person(person, organization=organization) if person else None
    password = None if no_password else _new_password()
    account = create_account(
        email=email, organization=organization, person=who, is_admin=admin, password=password, by=cli_actor()
    )
    role = "administrator" if admin else (f"person {who.pk}" if who else "no person, no rights yet")
    note = "; no password: cannot sign in until one is set" if no_password else ""
    out.print(f"Account of {account.user.get_username()} in {organization.slug} ({role}){note}.")
