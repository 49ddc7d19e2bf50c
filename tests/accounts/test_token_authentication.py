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


def test_the_token_brings_the_user_and_their_unit_in_one_query(users):
    user = users[Role.STAFF]
    key = Token.objects.create(user=user).key
    with CaptureQueriesContext(connection) as queries:
        response = client_with(key).get(URL)
    assert response.status_code == 200
    token_reads = [q["sql"] for q in queries.captured_queries if "authtoken_token" in q["sql"]]
    assert len(token_reads) == 1 and "cadres_unit" in token_reads[0]
    assert not any(
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
