"""The cadre profile shows the supervision record: interviews, and 暂缓使用 while a clue is unverified."""

from accounts.roles import Role
from supervision.services import interviews as svc
from supervision.services import records
from tests.supervision.conftest import days_ago


def test_the_profile_lists_the_cadres_interviews(client, users, cadre_a, leader_reason, walk):
    walk["to_conducted"](walk["propose_cadre"](cadre_a, leader_reason), conducted_ago=45)
    svc.interview_record(
        actor=users[Role.STAFF],
        kind="talk",
        subject_type="cadre",
        cadre=cadre_a,
        conducted_on=days_ago(2),
        record="谈心",
    )
    client.force_login(users[Role.AUDITOR])
    html = client.get(f"/cadres/{cadre_a.pk}/").content.decode()
    assert "约谈" in html and "谈心谈话" in html
    assert "已逾期" in html


def test_a_pending_clue_marks_the_cadre_on_hold_until_verified(client, users, cadre_a):
    clue = records.clue_create(
        actor=users[Role.STAFF],
        cadre=cadre_a,
        source="petition",
        received_on=days_ago(3),
        summary="信访反映问题",
    )
    client.force_login(users[Role.STAFF])
    assert "暂缓使用" in client.get(f"/cadres/{cadre_a.pk}/").content.decode()
    records.clue_verify(
        actor=users[Role.STAFF],
        clue=clue,
        status="unfounded",
        verified_on=days_ago(1),
        conclusion="经核查不实",
    )
    assert "暂缓使用" not in client.get(f"/cadres/{cadre_a.pk}/").content.decode()
