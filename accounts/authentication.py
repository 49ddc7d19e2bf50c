"""The API's token check: DRF's, with the user and the user's unit read in the same query.
Every answer of the API is scoped to the caller's unit subtree (``user.scope_path``), so DRF's
check left one more query per request to read the unit. The query is written as SQL
(``core.rowload``): compiling it through the ORM took ten times as long as running it, on every
API request."""

from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from cadres.models import Unit
from core import prepared
from core.rowload import RowLoader

from .models import User

_token, _user, _unit = RowLoader(Token), RowLoader(User), RowLoader(Unit)


def _sql() -> str:
    quote = connection.ops.quote_name
    return (
        f"SELECT {_token.select('t')}, {_user.select('u')}, {_unit.select('n')}"
        f" FROM {quote(Token._meta.db_table)} t"
        f" JOIN {quote(User._meta.db_table)} u ON u.id = t.user_id"
        f" LEFT JOIN {quote(Unit._meta.db_table)} n ON n.id = u.unit_id"
        f" WHERE t.{quote('key')} = %s"
    )


def token_user(key: str) -> tuple[Token, User] | None:
    """The token ``key`` and its user, the user's unit cached on it; None for an unknown key."""
    with connection.cursor() as cursor:
        prepared.execute(cursor, _sql(), [key])
        row = cursor.fetchone()
    if row is None:
        return None
    token = _token.load(row)
    user = _user.load(row, _token.width)
    unit = _unit.load(row, _token.width + _user.width) if user.unit_id is not None else None
    _user.cache_related(user, "unit", unit)
    _token.cache_related(token, "user", user)
    return token, user


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        found = token_user(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, user = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (user, token)
