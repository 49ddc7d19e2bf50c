"""django-axes locks a username (from one address) after repeated failed logins."""

from rest_framework.test import APIClient

from accounts.roles import Role


def _fail(client, username, times):
    for _ in range(times):
        client.post("/accounts/login/", {"username": username, "password": "wrong"})


def test_a_wrong_password_says_so_in_chinese(client, users):
    response = client.post("/accounts/login/", {"username": "staff_a", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_five_failures_lock_the_account_even_for_the_right_password(client, users, settings):
    _fail(client, "staff_a", settings.AXES_FAILURE_LIMIT)
    response = client.post("/accounts/login/", {"username": "staff_a", "password": "pass-12345"})
    assert response.status_code == 429
    assert "登录已暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_lockout_does_not_touch_other_accounts(client, users, settings):
    _fail(client, "staff_a", settings.AXES_FAILURE_LIMIT)
    response = client.post("/accounts/login/", {"username": "head_a", "password": "pass-12345"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(users[Role.HEAD].pk)


def test_a_locked_account_gets_no_api_token(client, users, settings):
    _fail(client, "api_reader_a", settings.AXES_FAILURE_LIMIT)
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "api_reader_a", "password": "pass-12345"}, format="json"
    )
    assert response.status_code == 429
    assert "锁定" in response.json()["error"]["message"]
