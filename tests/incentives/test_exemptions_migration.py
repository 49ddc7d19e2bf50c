"""The old 容错免责 marks become 容错纠错 decisions (supervision migrations 0007 and 0008), run with
the migration executor on rows written with the old fields: the database is taken back to
supervision 0006, the rows made through the models as they were then, and migrated forward."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.roles import Role
from supervision.models import Exemption
from tests.factories import CadreFactory, make_user, unit_child, unit_root

BEFORE = [("supervision", "0006_exemption")]
SUFFIX = "（原“容错免责”标记迁移）"


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_old_marks_become_tolerable_decisions_and_the_fields_go():
    city = unit_root()
    town = unit_child(city, "C01A", "甲县")
    cadre = CadreFactory(unit=town, name="张三")
    other = CadreFactory(unit=town, name="李四")
    clerk = make_user("clerk", Role.STAFF, city)
    head = make_user("head", Role.HEAD, city)
    try:
        old = _migrate(BEFORE)
        Interview = old.get_model("supervision", "Interview")
        Sanction = old.get_model("supervision", "Sanction")
        yuetan = Interview.objects.create(
            kind="yuetan",
            subject_type="cadre",
            cadre_id=cadre.pk,
            unit_id=town.pk,
            status="conducted",
            proposed_by_id=clerk.pk,
            approved_by_id=head.pk,
            conducted_on=datetime.date(2026, 3, 10),
            exempted=True,
            exemption_note="属推进改革中的探索性失误",
        )
        plain = Interview.objects.create(
            kind="talk",
            subject_type="cadre",
            cadre_id=cadre.pk,
            unit_id=town.pk,
            status="recorded",
            proposed_by_id=clerk.pk,
            conducted_on=datetime.date(2026, 3, 11),
        )
        sanction = Sanction.objects.create(
            cadre_id=other.pk,
            kind="demotion",
            decided_on=datetime.date(2026, 2, 11),
            reason="x",
            exempted=True,
            exemption_note="经查系故意违规，但情节轻微",
            created_by_id=clerk.pk,
        )
        Sanction.objects.create(
            cadre_id=other.pk,
            kind="warning",
            decided_on=datetime.date(2026, 2, 12),
            reason="y",
            created_by_id=clerk.pk,
        )
    finally:
        _migrate(_latest())

    decisions = {(e.matter_type, e.matter_id): e for e in Exemption.objects.all()}
    assert set(decisions) == {("interview", yuetan.pk), ("sanction", sanction.pk)}
    talk = decisions[("interview", yuetan.pk)]
    assert (talk.cadre_id, talk.unit_id, talk.decided_by_id) == (cadre.pk, town.pk, head.pk)
    assert talk.decided_on == datetime.date(2026, 3, 10)
    assert (talk.intent, talk.motive, talk.nature, talk.verdict) == (
        "negligent",
        "public",
        "trial",
        "tolerable",
    )
    assert talk.basis == "属推进改革中的探索性失误" + SUFFIX
    demotion = decisions[("sanction", sanction.pk)]
    # the sanction's creator decided, on its date, in its cadre's unit; the note said 故意 and 违规
    assert (demotion.cadre_id, demotion.unit_id, demotion.decided_by_id) == (other.pk, town.pk, clerk.pk)
    assert demotion.decided_on == datetime.date(2026, 2, 11)
    assert (demotion.intent, demotion.motive, demotion.nature) == ("deliberate", "public", "violation")
    columns = {
        c.name
        for c in connection.introspection.get_table_description(connection.cursor(), "supervision_interview")
    }
    assert "exempted" not in columns and "exemption_note" not in columns
    assert plain.pk not in {e.matter_id for e in decisions.values() if e.matter_type == "interview"}


def test_a_note_that_negates_the_words_keeps_the_tolerable_classification():
    from importlib import import_module

    migration = import_module("supervision.migrations.0007_exemptions_from_flags")
    assert migration.classify("并非故意，非因私，不属于违规") == {
        "intent": "negligent",
        "motive": "public",
        "nature": "trial",
    }
    assert migration.classify("因私违规") == {
        "intent": "negligent",
        "motive": "private",
        "nature": "violation",
    }
    assert migration.classify("违规但属探索试错")["nature"] == "trial"
    assert migration.classify("") == {"intent": "negligent", "motive": "public", "nature": "trial"}
