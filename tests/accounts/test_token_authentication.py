"""The API's token check (accounts.authentication): the user and their unit in one query; a
wrong token and a deactivated user are refused with 401 and a Chinese message."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.roles import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/units/"


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_the_token_brings_the_user_and_their_unit_in_one_query(users, django_assert_num_queries):
    from accounts.authentication import token_user

    user = users[Role.STAFF]
    key = Token.objects.create(user=user).key
    with django_assert_num_queries(1):  # the token, its user and the user's unit
        _, loaded = token_user(key)
        assert loaded.unit.path == user.unit.path and loaded.scope_path == user.unit.path
    with CaptureQueriesContext(connection) as queries:
        response = client_with(key).get(URL)
    assert response.status_code == 200
    assert not any(  # the unit is not read again on its own
        q["sql"].lstrip().startswith('SELECT "cadres_unit"."id", "cadres_unit"."path", "cadres_unit"."depth"')
        and '"cadres_unit"."id" = ' in q["sql"]
        and "LIMIT 21" in q["sql"]
        for q in queries.captured_queries
    )


def test_a_wrong_token_is_refused_in_chinese():
    response = client_with("0" * 40).get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "认证令牌无效。", response.json()


def test_a_deactivated_user_is_refused_in_chinese(users):
    user = users[Role.STAFF]
    key = Token.objects.create(user=user).key
    user.is_active = False
    user.save()
    response = client_with(key).get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "用户未激活或者已删除。", response.json()


def test_the_token_check_loads_the_user_and_unit_as_the_orm_does(users):
    from accounts.authentication import token_user
    from accounts.models import User

    user = users[Role.STAFF]
    key = Token.objects.create(user=user).key
    token, loaded = token_user(key)
    orm = User.objects.select_related("unit").get(pk=user.pk)
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(orm, field.attname), field.name
        assert type(getattr(loaded, field.attname)) is type(getattr(orm, field.attname)), field.name
    for field in orm.unit._meta.concrete_fields:
        assert getattr(loaded.unit, field.attname) == getattr(orm.unit, field.attname), field.name
    assert token.created == Token.objects.get(key=key).created and token.user is loaded
    assert not loaded._state.adding and loaded.scope_path == orm.unit.path
    loaded.display_name = "改过的名字"
    loaded.save(update_fields=["display_name"])  # a loaded instance saves as an ORM one would
    assert User.objects.get(pk=user.pk).display_name == "改过的名字"


def test_a_user_without_a_unit_has_no_unit_and_no_query_for_it(django_assert_num_queries):
    from accounts.authentication import token_user
    from accounts.models import User

    admin = User.objects.create_superuser("root_api", password="x" * 12)
    key = Token.objects.create(user=admin).key
    with django_assert_num_queries(1):  # the token, the user and (no) unit
        _, loaded = token_user(key)
        assert loaded.unit is None and loaded.scope_path == ""
    response = client_with(key).get(URL)
    assert response.status_code == 200


def test_an_unknown_key_finds_nothing():
    from accounts.authentication import token_user

    assert token_user("") is None and token_user("x" * 40) is None
