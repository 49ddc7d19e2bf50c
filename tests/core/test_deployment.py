"""The deployment files: docker-compose.yml (parsed, not run: no Docker engine here) and the
production settings under ``check --deploy``."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x7#kP2$vQ9!mL4@nR8^tW1&zY6*bC3(dF5)gH0-jK_sA+eU=iO",
    "DJANGO_ALLOWED_HOSTS": "cadre.example.gov.cn",
    "DATABASE_URL": "sqlite:////tmp/deploy-check.db",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_FIELD_ENCRYPTION_KEYS": "Yt9k3n7hGk1Zc0q2m5r8v1x4z7C0F3I6L9O2R5U8X1A=,"
    "KbqOvCUKyyq4rX8o3-xb9Uk1lY8Uj3kq7Ve1E2dUqKM=",
    "DJANGO_ID_HASH_KEY": "p4S9wQ2eR7tY1uI6oP3aS8dF5gH0jK2lZ7xC4vB9nM1qW6eR3tY8uI5oP0aS2dF7",
}


def _compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_runs_web_worker_beat_postgres_and_redis():
    services = _compose()["services"]
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    assert "gunicorn" in services["web"]["command"]
    assert "worker" in services["worker"]["command"]
    assert "beat" in services["beat"]["command"]
    assert services["db"]["image"].startswith("postgres")
    assert services["redis"]["image"].startswith("redis")


def test_compose_services_have_healthchecks_and_the_database_a_volume():
    compose = _compose()
    services = compose["services"]
    for name in ("web", "worker", "db", "redis"):
        assert "healthcheck" in services[name], name
    assert any(v.startswith("pgdata:") for v in services["db"]["volumes"])
    assert "pgdata" in compose["volumes"]


def test_compose_app_services_get_every_variable_production_requires():
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        for var in (
            "DJANGO_SECRET_KEY",
            "DJANGO_ALLOWED_HOSTS",
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "DJANGO_HTTPS",
            "DJANGO_FIELD_ENCRYPTION_KEYS",
            "DJANGO_ID_HASH_KEY",
        ):
            assert var in env, (name, var)
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"


def _manage(*args, env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


# The README's plain-HTTP intranet configuration: no TLS anywhere between browser and app.
INTRANET_ENV = PRODUCTION_ENV | {
    "DJANGO_HTTPS": "false",
    "DJANGO_ALLOWED_HOSTS": "10.0.0.5",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "http://10.0.0.5",
}

PRINT_TRANSPORT_SETTINGS = (
    "from django.conf import settings as s; "
    "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
    "s.SECURE_HSTS_SECONDS, sorted(s.SILENCED_SYSTEM_CHECKS))"
)


def _transport_settings(env):
    result = _manage("shell", "--no-imports", "-c", PRINT_TRANSPORT_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_plain_http_intranet_settings_pass_the_deploy_check():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=INTRANET_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_plain_http_intranet_sends_cookies_a_browser_keeps_over_http():
    """A Secure cookie set over plain HTTP is dropped by the browser: nobody could sign in."""
    shown = _transport_settings(INTRANET_ENV)
    assert shown.split("[")[0].split() == ["False", "False", "False", "0"]


def test_https_deployment_keeps_secure_cookies_hsts_and_silences_nothing():
    assert _transport_settings(PRODUCTION_ENV).split() == ["True", "True", "True", "31536000", "[]"]


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("var", ["DJANGO_FIELD_ENCRYPTION_KEYS", "DJANGO_ID_HASH_KEY"])
def test_production_refuses_to_start_without_the_encryption_keys(var):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != var}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert var in result.stderr


def test_production_refuses_an_encryption_key_that_is_not_a_fernet_key():
    result = _manage("check", env=PRODUCTION_ENV | {"DJANGO_FIELD_ENCRYPTION_KEYS": "correct horse battery"})
    assert result.returncode != 0
    assert "DJANGO_FIELD_ENCRYPTION_KEYS" in result.stdout + result.stderr


def test_healthz_answers_ok_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.parametrize(
    ("port", "url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("8020", "http://127.0.0.1:8020"),
        ("0.0.0.0:8030", "http://127.0.0.1:8030"),
        ("192.168.1.5:8040", "http://192.168.1.5:8040"),
    ],
)
def test_dev_start_announces_the_address_it_serves(port, url):
    """``./dev start`` passes PORT to runserver as it is; the URL it prints (and seed_demo's
    banner shows) is worked out from it by the script's own ``site_url``."""
    script = (ROOT / "dev").read_text(encoding="utf-8")
    start = script.index("site_url() {")
    function = script[start : script.index("\n}\n", start) + 3]
    shown = subprocess.run(
        ["bash", "-c", f'{function}\nsite_url "$1"', "site_url", port],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == url
    assert 'seed_demo --url "$url"' in script
    assert 'runserver --nostatic "$addr"' in script
