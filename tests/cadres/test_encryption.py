"""ID numbers and phone numbers are encrypted at rest (core/crypto.py), found through their
keyed hash, kept out of the audit trail in clear, and their keys can be rotated."""

import base64
import datetime
import hashlib
import importlib
import json
from io import StringIO
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import FieldError, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.roles import Role
from assessment.models import Assessment, PeriodStatus
from assessment.services.imports import import_commit, import_validate
from assessment.services.periods import period_create, period_transition
from audit.models import AuditEntry
from cadres import idnumber
from cadres.models import Cadre
from cadres.selectors import cadre_lookup
from cadres.services import cadre_create, cadre_update
from core.bulk import bulk_insert
from core.crypto import UndecryptableValue
from tests.assessment.test_imports import make_sheet, scores
from tests.factories import CadreFactory

PHONE = "13812345678"


def key(name: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(name.encode()).digest()).decode()


KEY_A, KEY_B = key("A"), key("B")


def raw(cadre) -> tuple[str, str, str]:
    """What the database holds, read past the model's decryption."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, id_number_hash FROM cadres_cadre WHERE id = %s", [cadre.pk])
        return cursor.fetchone()


def new_cadre_data(unit, **extra):
    born = datetime.date(1985, 2, 3)
    data = {
        "unit": unit,
        "name": "赵六",
        "gender": "M",
        "id_number": idnumber.make("430121", born, 11),
        "birth_date": born,
        "work_start_date": datetime.date(2007, 7, 1),
        "identity": "civil_servant",
        "kind": "general",
        "rank": "staff",
        "post_title": "科员",
        "political_status": "masses",
        "phone": PHONE,
    }
    return data | extra


@pytest.fixture
def annual_period(users):
    actor = users["city_staff"]
    period = period_create(actor=actor, name="2025年度干部考核", year=2025)
    return period_transition(actor=actor, period=period, to=PeriodStatus.COLLECTING)


@pytest.fixture
def person(tree):
    return CadreFactory(unit=tree["town_a"], name="王敏", phone=PHONE)


def test_the_database_holds_neither_the_id_number_nor_the_phone_in_clear(person):
    number, phone, digest = raw(person)
    assert person.id_number not in number and person.id_number[6:14] not in number
    assert PHONE not in phone and PHONE[-4:] not in phone
    assert person.id_number not in digest and digest == idnumber.digest(person.id_number)
    fresh = Cadre.objects.get(pk=person.pk)
    assert (fresh.id_number, fresh.phone) == (person.id_number, PHONE)


def test_bulk_writers_encrypt_too(tree):
    row = new_cadre_data(tree["town_a"])
    row["id_number_hash"] = idnumber.digest(row["id_number"])
    bulk_insert(Cadre, [row])  # COPY on PostgreSQL, bulk_create elsewhere
    cadre = Cadre.objects.get()
    number, phone, _ = raw(cadre)
    assert row["id_number"] not in number and PHONE not in phone
    assert (cadre.id_number, cadre.phone) == (row["id_number"], PHONE)


def test_an_empty_phone_stays_empty(tree):
    cadre = CadreFactory(unit=tree["town_a"], phone="")
    assert raw(cadre)[1] == "" and Cadre.objects.get(pk=cadre.pk).phone == ""


def test_the_database_is_never_asked_to_compare_encrypted_values(person):
    with pytest.raises(FieldError):
        Cadre.objects.filter(id_number=person.id_number).exists()


def test_staff_find_a_cadre_by_number_in_the_api(users, person):
    client = APIClient()
    client.force_authenticate(users[Role.STAFF])
    typed = "  " + person.id_number.lower() + " "
    hits = client.get("/api/v1/cadres/", {"id_number": typed}).json()["results"]
    assert [c["id_number"] for c in hits] == [person.id_number]


def test_the_picker_finds_a_cadre_by_number_typed_with_full_width_digits(users, person):
    typed = person.id_number.translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})
    assert cadre_lookup(users[Role.STAFF], typed) == [person]


def test_an_imported_sheet_matches_cadres_by_number(users, annual_period, cadre_a):
    admin = users[Role.COUNTY_ADMIN]
    data = make_sheet([(cadre_a, scores(90))])
    batch = import_validate(actor=admin, period=annual_period, unit=None, data=data, filename="评分表.xlsx")
    assert batch.errors == [] and batch.rows_ok == 1
    import_commit(actor=admin, batch=batch)
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == scores(90)


def test_a_duplicate_number_is_refused_in_chinese(users, tree, person):
    with pytest.raises(ValidationError) as err:
        cadre_create(
            actor=users[Role.STAFF],
            **new_cadre_data(
                tree["town_a"],
                id_number=person.id_number.lower(),
                birth_date=person.birth_date,
                gender=person.gender,
            ),
        )
    assert err.value.message_dict["id_number"] == ["该身份证号已登记在册，不能重复登记。"]


def test_the_audit_trail_keeps_masks_never_the_clear_numbers(users, tree):
    staff = users[Role.STAFF]
    cadre = cadre_create(actor=staff, **new_cadre_data(tree["town_a"]))
    old_number = cadre.id_number
    # a number corrected in its hidden middle: the mask is the same, the change is still recorded
    born = datetime.date(1985, 2, 3)
    new_number = next(
        n for seq in range(13, 999, 2) if (n := idnumber.make("430121", born, seq))[-1] == old_number[-1]
    )
    assert idnumber.mask(new_number) == idnumber.mask(old_number)
    cadre_update(actor=staff, cadre=cadre, id_number=new_number, phone="13998765432")

    entries = list(AuditEntry.objects.filter(model="cadres.cadre", object_id=str(cadre.pk)).order_by("id"))
    assert len(entries) == 2
    text = json.dumps([e.changes for e in entries], ensure_ascii=False)
    for secret in (old_number, new_number, PHONE, "13998765432", old_number[6:14]):
        assert secret not in text
    created, updated = entries[0].changes, entries[1].changes
    assert created["id_number"] == [None, idnumber.mask(old_number)]
    assert created["phone"] == [None, "138****5678"]
    assert updated["id_number_hash"] == [idnumber.digest(old_number), idnumber.digest(new_number)]
    assert updated["phone"] == ["138****5678", "139****5432"]


def run(*args) -> str:
    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out)
    return out.getvalue()


def test_rotation_re_encrypts_under_the_new_key_so_the_old_one_can_go(tree):
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        cadres = [CadreFactory(unit=tree["town_a"], phone=f"1380000000{i}") for i in range(3)]
        numbers = {c.pk: c.id_number for c in cadres}
        before = {c.pk: raw(c) for c in cadres}
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]), pytest.raises(UndecryptableValue):
        list(Cadre.objects.all())  # B alone cannot open what A encrypted

    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        out = run("--batch-size", "2")
        assert "重新加密 6 个值" in out and "共 3 名干部" in out
        assert "重新加密 0 个值" in run()  # a second run has nothing left to do

    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):
        assert {c.pk: c.id_number for c in Cadre.objects.all()} == numbers
        assert {c.phone for c in Cadre.objects.all()} == {f"1380000000{i}" for i in range(3)}
        for c in cadres:
            assert raw(c)[0] != before[c.pk][0] and raw(c)[2] == before[c.pk][2]


def test_a_new_hash_key_needs_rehash_and_lookups_work_again(users, person):
    staff = users[Role.STAFF]
    with override_settings(ID_HASH_KEY="another-hash-key-of-at-least-32-characters"):
        assert cadre_lookup(staff, person.id_number) == []  # the stored hashes are the old key's
        out = run("--rehash")
        assert "更新摘要 1 个" in out
        assert cadre_lookup(staff, person.id_number) == [person]
        assert raw(person)[2] == idnumber.digest(person.id_number)


def test_the_migration_encrypts_the_rows_it_finds_in_clear_and_can_run_twice(tree):
    """cadres.0004's data step, on rows as they were before it: clear numbers, no hash."""
    step = importlib.import_module("cadres.migrations.0004_encrypt_existing_rows")
    old = [CadreFactory(unit=tree["town_a"], phone=p) for p in (PHONE, "")]
    with connection.cursor() as cursor:
        for i, cadre in enumerate(old):
            cursor.execute(
                "UPDATE cadres_cadre SET id_number = %s, phone = %s, id_number_hash = %s WHERE id = %s",
                [cadre.id_number.lower(), cadre.phone, f"not yet {i}", cadre.pk],
            )
    for _ in range(2):  # an interrupted migration is started again: nothing is encrypted twice
        step.encrypt_rows(django_apps, SimpleNamespace(connection=connection))
        for cadre in old:
            stored_number, stored_phone, digest = raw(cadre)
            assert cadre.id_number not in stored_number.upper() and (
                not cadre.phone or PHONE not in stored_phone
            )
            assert digest == idnumber.digest(cadre.id_number)
            fresh = Cadre.objects.get(pk=cadre.pk)
            assert (fresh.id_number, fresh.phone) == (cadre.id_number, cadre.phone)
