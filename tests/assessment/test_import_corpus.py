"""Every file of the malformed / hostile corpus (tests/sheet_corpus.py) through the page, the API
and the command: a refused file gets a clear 4xx (or exit 1) with a Chinese message, nothing is
written, and the process lives on."""

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.roles import Role
from assessment.models import Assessment
from audit.models import AuditEntry

corpus = pytest.importorskip("tests.sheet_corpus")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus")
    return path, corpus.build_corpus(path)


def _names():
    import tempfile
    from pathlib import Path

    return [f.name for f in corpus.build_corpus(Path(tempfile.mkdtemp()))]


NAMES = _names()


def test_corpus_has_at_least_25_files():
    assert len(NAMES) >= 25


def _snapshot():
    return list(Assessment.objects.order_by("pk").values_list("pk", "scores")), AuditEntry.objects.count()


def _file(files, name):
    path, entries = files
    entry = next(f for f in entries if f.name == name)
    return entry, path / name


@pytest.mark.parametrize("name", NAMES)
def test_api(name, files, users, annual_period, cadre_a):
    entry, path = _file(files, name)
    before = _snapshot()
    client = APIClient()
    client.force_authenticate(users[Role.COUNTY_ADMIN])

    response = client.post(
        "/api/v1/imports/?commit=false",
        {"file": SimpleUploadedFile(name, path.read_bytes()), "period": annual_period.pk},
        format="multipart",
    )

    if entry.expect == "ok":
        assert response.status_code in (201, 400), response.content[:300]
    else:
        assert 400 <= response.status_code < 500, response.content[:300]
        assert not response.json()["error"]["message"].isascii()
    assert _snapshot() == before


@pytest.mark.parametrize("name", NAMES)
def test_page(name, files, client, users, annual_period, cadre_a):
    entry, path = _file(files, name)
    before = _snapshot()
    client.force_login(users[Role.COUNTY_ADMIN])

    response = client.post(
        reverse("assessment:import_upload"),
        {"period": annual_period.pk, "file": SimpleUploadedFile(name, path.read_bytes())},
    )

    if entry.expect == "ok":
        # a well-formed sheet: a batch (valid or with row errors) or, for a sheet made for
        # another kind of period, a clear refusal
        assert response.status_code in (302, 400)
    else:
        assert 400 <= response.status_code < 500
        assert "未写入任何数据" in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize("name", NAMES)
def test_command(name, files, users, annual_period, cadre_a):
    entry, path = _file(files, name)
    before = _snapshot()
    err = StringIO()

    try:
        call_command(
            "import_sheet",
            str(path),
            "--period",
            str(annual_period.pk),
            "--user",
            users[Role.COUNTY_ADMIN].username,
            "--dry-run",
            stdout=StringIO(),
            stderr=err,
        )
        code = 0
    except SystemExit as exc:
        code = exc.code

    if entry.expect != "ok":
        assert code == 1 and "文件被拒绝" in err.getvalue()
    assert _snapshot() == before
