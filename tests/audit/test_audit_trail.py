import datetime

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.roles import Role
from audit.models import AuditEntry
from audit.selectors import audit_visible_to, cadre_timeline
from audit.services import Change, audit_record_bulk, audit_rows_bulk, snapshot
from cadres import services
from tests.factories import CadreFactory, PostRecordFactory


def test_update_records_who_when_and_old_and_new_values(users, cadre_a):
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_title="镇长", rank="zheng_ke")
    entry = AuditEntry.objects.get(action="update")
    assert entry.actor == users[Role.STAFF]
    assert entry.actor_label == "staff_a"
    assert entry.changes == {"rank": ["fu_ke", "zheng_ke"], "post_title": ["副镇长", "镇长"]}
    assert entry.model == "cadres.cadre"
    assert entry.object_id == str(cadre_a.pk)
    assert entry.scope_path == cadre_a.unit.path
    assert entry.at is not None


def test_an_update_that_changes_nothing_writes_no_entry(users, cadre_a):
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_title="副镇长")
    assert not AuditEntry.objects.filter(action="update").exists()


def test_delete_keeps_the_values_before_and_survives_the_cadre(users, cadre_a):
    PostRecordFactory(cadre=cadre_a)
    pk = cadre_a.pk
    services.cadre_delete(actor=users[Role.HEAD], cadre=cadre_a, reason="重复录入")
    entries = AuditEntry.objects.filter(cadre_id=pk, action="delete")
    assert {e.model for e in entries} == {"cadres.cadre", "cadres.postrecord"}
    cadre_entry = entries.get(model="cadres.cadre")
    assert cadre_entry.changes["name"] == ["张三", None]
    assert cadre_entry.reason == "重复录入"


def test_a_failed_write_leaves_no_audit_entry(users, cadre_a, tree):
    other = CadreFactory(unit=tree["town_a"])
    with pytest.raises(Exception):  # noqa: B017 - the ValidationError of the duplicate ID
        services.cadre_update(actor=users[Role.STAFF], cadre=other, id_number=cadre_a.id_number)
    assert not AuditEntry.objects.filter(action="update").exists()


def test_entries_cannot_be_edited_or_deleted_through_the_orm(users, cadre_a):
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_title="镇长")
    entry = AuditEntry.objects.get(action="update")
    entry.reason = "改写"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="改写")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def test_the_database_refuses_an_update_below_the_orm(users, cadre_a):
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_title="镇长")
    pk = AuditEntry.objects.get(action="update").pk
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET reason = 'x' WHERE id = %s", [pk])
    assert AuditEntry.objects.get(pk=pk).reason == ""


def test_the_database_refuses_a_delete_on_postgresql(users, cadre_a):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps DELETE for the test runner's flush")
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_title="镇长")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")
    assert AuditEntry.objects.filter(action="update").exists()


def test_a_user_with_entries_cannot_be_deleted(users, cadre_a):
    # No foreign key in the database (its check cost every entry at COMMIT): Django's PROTECT
    # keeps the actor, and the entry names them in actor_label anyway.
    from django.db.models import ProtectedError

    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_title="镇长")
    with pytest.raises(ProtectedError):
        users[Role.STAFF].delete()
    assert AuditEntry.objects.get(action="update").actor == users[Role.STAFF]


def test_the_trail_lists_newest_first(users, cadre_a):
    from audit.selectors import audit_list

    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_title="镇长")
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_title="书记")
    entries = list(audit_list(users[Role.STAFF]).filter(action="update"))
    assert [e.changes["post_title"][1] for e in entries] == ["书记", "镇长"]
    assert entries[0].at >= entries[1].at


def test_bulk_writes_record_one_entry_per_object_in_few_queries(users, tree, django_assert_max_num_queries):
    cadres = [CadreFactory(unit=tree["town_a"]) for _ in range(25)]
    changes = []
    for cadre in cadres:
        before = snapshot(cadre)
        cadre.post_title = "科员"
        changes.append(Change("update", cadre, before, snapshot(cadre), cadre.pk, cadre.unit.path))
    with django_assert_max_num_queries(1):  # one INSERT for all entries
        written = audit_record_bulk(actor=users[Role.STAFF], changes=changes, batch="import-1")
    assert written == 25
    assert AuditEntry.objects.filter(batch="import-1", changes__post_title=["副镇长", "科员"]).count() == 25


def test_bulk_changes_that_change_nothing_are_left_out(users, cadre_a):
    same = Change("update", cadre_a, {"post_title": "科员"}, {"post_title": "科员"}, cadre_a.pk, "0001")
    moved = Change("update", cadre_a, {"post_title": "科员"}, {"post_title": "副镇长"}, cadre_a.pk, "0001")

    assert audit_record_bulk(actor=users[Role.STAFF], changes=[same, moved], batch="b-same") == 1
    entry = AuditEntry.objects.get(batch="b-same")
    assert entry.changes == {"post_title": ["科员", "副镇长"]}


def test_bulk_rows_name_objects_without_loading_them(users, cadre_a):
    """An import hands (action, model, pk, text, changes, cadre, scope) for 100,000 assessments
    instead of building instances: each row is written as given, the text cut to 200."""
    rows = [
        (
            "update",
            "assessment.assessment",
            "7",
            "2025年度 7",
            {"scores": [{"德": 80}, {"德": 85}]},
            cadre_a.pk,
            "0001",
        ),
        (
            "create",
            "assessment.assessment",
            "9",
            "长" * 250,
            {"scores": [None, {"德": 90}]},
            cadre_a.pk,
            "0001",
        ),
    ]
    written = audit_rows_bulk(actor=users[Role.STAFF], rows=iter(rows), batch="import:x", reason="Excel导入")

    assert written == 2
    entries = {e.object_id: e for e in AuditEntry.objects.filter(batch="import:x")}
    assert set(entries) == {"7", "9"}
    assert entries["7"].model == "assessment.assessment" and entries["7"].object_repr == "2025年度 7"
    assert entries["7"].changes == {"scores": [{"德": 80}, {"德": 85}]} and entries["7"].action == "update"
    assert entries["9"].action == "create" and entries["9"].actor == users[Role.STAFF]
    assert entries["9"].object_repr == "长" * 200 and entries["9"].scope_path == "0001"
    assert entries["9"].reason == "Excel导入" and entries["9"].cadre_id == cadre_a.pk


def test_auditors_see_entries_of_their_subtree_only(users, cadre_a, cadre_b):
    services.cadre_update(actor=users["city_staff"], cadre=cadre_a, post_title="甲")
    services.cadre_update(actor=users["city_staff"], cadre=cadre_b, post_title="乙")
    seen = {e.cadre_id for e in audit_visible_to(users[Role.AUDITOR]).filter(action="update")}
    assert seen == {cadre_a.pk}


@pytest.mark.parametrize("role", [Role.COUNTY_ADMIN, Role.API_READER])
def test_roles_without_audit_access_see_no_entries(role, users, cadre_a):
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_title="甲")
    assert not audit_visible_to(users[role]).exists()
    assert not cadre_timeline(users[role], cadre_a).exists()


def test_dates_are_stored_as_iso_text(users, cadre_a):
    services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, post_start_date=datetime.date(2024, 1, 2))
    entry = AuditEntry.objects.get(action="update")
    assert entry.changes["post_start_date"] == [None, "2024-01-02"]
