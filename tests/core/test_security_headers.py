"""Pages and API answers that may carry personal data are never stored by a browser or proxy
(``Cache-Control: no-store``), and every page runs under a Content-Security-Policy that allows
only this site's own script and style files: the templates carry no inline code for it to
block."""

import re
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

ROOT = Path(__file__).resolve().parents[2]

KEY_PAGES = [
    "/",
    "/cadres/",
    "/cadres/units/",
    "/assessment/",
    "/assessment/imports/upload/",
    "/supervision/new/",
    "/audit/",
]


def directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", KEY_PAGES)
def test_signed_in_pages_are_not_stored_and_allow_only_own_scripts_and_styles(client, users, path):
    client.force_login(users["staff"])
    response = client.get(path)
    assert response.status_code == 200, path
    assert "no-store" in response["Cache-Control"]
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]


def test_api_answers_are_not_stored_even_when_refused(client, users):
    token = Token.objects.create(user=users["staff"])
    answered = client.get("/api/v1/cadres/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert answered.status_code == 200
    assert "no-store" in answered["Cache-Control"]
    refused = client.get("/api/v1/cadres/")
    assert refused.status_code in (401, 403)
    assert "no-store" in refused["Cache-Control"]


def test_health_check_is_left_cacheable(client, db):
    response = client.get("/healthz")
    assert "no-store" not in response.get("Cache-Control", "")


def test_api_docs_load_swagger_ui_from_files_not_inline_code(client, users):
    client.force_login(users["staff"])
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html
    init = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    script = client.get(init)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


TEMPLATE_DIRS = [ROOT / "templates"]


def template_files():
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def test_templates_carry_no_inline_scripts_handlers_or_styles():
    """The policy blocks them: code goes to static/js, data to data-* attributes or json_script,
    looks to static/css."""
    offenders = []
    for path in template_files():
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, HANDLER, STYLE):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0).strip()}")
    assert offenders == []
