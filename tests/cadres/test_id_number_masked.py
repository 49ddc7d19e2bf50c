"""``Cadre.id_number_masked``: the mask roles without ``view_id_number`` get, kept in clear by
``save()`` (also when only the number is saved), filled by the migration for rows already
registered, and what a masked grade-report page shows without decrypting (a row without it
falls back to decrypting and masking)."""

# ruff: noqa: F811 (the ``report`` fixture is imported, and pytest hands it to the tests by name)

import importlib
import types

import pytest
from django.apps import apps
from django.db import connection

from accounts.roles import Role
from audit.services import snapshot
from cadres import idnumber
from cadres.models import Cadre
from tests.assessment.test_api import api
from tests.assessment.test_grade_reports import report  # noqa: F401 (fixture)
from tests.factories import CadreFactory

pytestmark = pytest.mark.django_db


def test_save_keeps_the_mask_also_when_only_the_number_is_saved(tree):
    cadre = CadreFactory(unit=tree["town_a"])
    assert cadre.id_number_masked == idnumber.mask(cadre.id_number)
    assert len(cadre.id_number_masked) == 18 and cadre.id_number_masked[6:17] == "*" * 11
    other = idnumber.make("330102", cadre.birth_date, 7)
    cadre.id_number = other
    cadre.save(update_fields=["id_number"])
    assert Cadre.objects.get(pk=cadre.pk).id_number_masked == idnumber.mask(other)


def test_the_audit_snapshot_leaves_the_stored_mask_out(tree):
    snap = snapshot(CadreFactory(unit=tree["town_a"]))
    assert "id_number_masked" not in snap and snap["id_number"].count("*") == 11


def test_the_migration_fills_the_rows_already_registered(tree, monkeypatch):
    cadres = [CadreFactory(unit=tree["town_a"]) for _ in range(3)]
    Cadre.objects.update(id_number_masked="")
    migration = importlib.import_module("cadres.migrations.0013_cadre_id_number_masked")
    monkeypatch.setattr(migration, "BATCH", 2)  # two batches: the second starts after the first's last id
    migration.fill_masked(apps, types.SimpleNamespace(connection=connection))
    stored = dict(Cadre.objects.values_list("pk", "id_number_masked"))
    assert stored == {c.pk: idnumber.mask(c.id_number) for c in cadres}


def _by_name(client, period):
    response = client.get(f"/api/v1/grade-reports/?period={period.pk}&page_size=50")
    assert response.status_code == 200
    return {r["name"]: r["id_number"] for r in response.json()["results"]}


def test_a_masked_page_shows_the_stored_mask_and_a_full_one_the_number(users, report, cadre_a):
    Cadre.objects.filter(pk=cadre_a.pk).update(id_number_masked="999999***********9")
    masked = _by_name(api(users[Role.API_READER]), report)
    assert masked["张三"] == "999999***********9"  # the column, not the number decrypted
    full = _by_name(api(users["city_staff"]), report)
    assert full["张三"] == cadre_a.id_number


def test_a_row_without_a_stored_mask_is_masked_from_the_number(users, report, cadre_a):
    Cadre.objects.filter(pk=cadre_a.pk).update(id_number_masked="")
    assert _by_name(api(users[Role.API_READER]), report)["张三"] == idnumber.mask(cadre_a.id_number)
