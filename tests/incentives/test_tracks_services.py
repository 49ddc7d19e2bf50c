"""The tracks as data (one list for the whole tree, edited by whole-tree managers) and the
per-period assignment of cadres to tracks (services_tracks)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from assessment.models import Assessment, Indicator, RaceTrack
from audit.models import AuditEntry
from incentives.services_tracks import (
    track_delete,
    track_move,
    track_save,
    track_set_active,
    tracks_assign,
)
from tests.factories import CadreFactory, make_period, make_user

from .tracks_facts import annual, run


@pytest.fixture
def root(users):
    """组织部 staff whose scope is the whole tree (示范市)."""
    return users["city_staff"]


def order() -> list[str]:
    return list(RaceTrack.objects.order_by("order", "id").values_list("code", flat=True))


# --------------------------------------------------------------------------- the tracks


def test_the_four_default_tracks_are_seeded(db):
    assert list(RaceTrack.objects.order_by("order").values_list("code", "name")) == [
        ("rural", "乡村振兴"),
        ("project", "项目建设"),
        ("enterprise", "为企服务"),
        ("governance", "基层治理"),
    ]


def test_a_whole_tree_manager_adds_a_track_at_the_end_audited(root):
    track = track_save(actor=root, code="Ecology ", name="生态保护", description="河湖长制、林长制")
    assert (track.code, track.active, order()[-1]) == ("ecology", True, "ecology")
    entry = AuditEntry.objects.get(model="assessment.racetrack", object_id=str(track.pk))
    assert entry.reason == "赛马赛道：生态保护"


def test_a_county_manager_may_not_change_the_track_list(users):
    with pytest.raises(PermissionDenied, match="只有管理范围为全部单位的用户可以修改"):
        track_save(actor=users[Role.STAFF], code="ecology", name="生态保护")


def test_a_role_without_manage_incentives_may_not_change_the_track_list(tree):
    admin = make_user("city_admin", Role.COUNTY_ADMIN, tree["city"])
    with pytest.raises(PermissionDenied, match="无权管理赛马赛道"):
        track_save(actor=admin, code="ecology", name="生态保护")


@pytest.mark.parametrize(
    ("code", "name", "message"),
    (
        ("", "生态保护", "请填写赛道代码"),
        ("9eco", "生态保护", "小写字母开头"),
        ("生态", "生态保护", "小写字母开头"),
        ("rural", "生态保护", "赛道代码“rural”已被其他赛道使用"),
        ("ecology", "乡村振兴", "赛道名称“乡村振兴”已被其他赛道使用"),
        ("ecology", "", "请填写赛道名称"),
        ("ecology", "长" * 51, "赛道名称不能超过50个字"),
    ),
)
def test_a_bad_track_is_refused_with_a_message(root, code, name, message):
    with pytest.raises(ValidationError, match=message):
        track_save(actor=root, code=code, name=name)
    assert RaceTrack.objects.count() == 4


def test_a_track_in_use_keeps_its_code_but_may_be_renamed(root, tree):
    rural = RaceTrack.objects.get(code="rural")
    run(annual(), CadreFactory(unit=tree["town_a"]), "rural")
    with pytest.raises(ValidationError, match="赛道代码“rural”已被考核记录、指标或排名使用，不能修改"):
        track_save(actor=root, track=rural, code="village", name="乡村振兴")
    renamed = track_save(actor=root, track=rural, code="rural", name="乡村全面振兴")
    assert (renamed.code, renamed.name) == ("rural", "乡村全面振兴")


def test_a_track_nothing_uses_may_change_its_code(root):
    rural = RaceTrack.objects.get(code="rural")
    assert track_save(actor=root, track=rural, code="village", name="乡村振兴").code == "village"


def test_a_track_an_indicator_uses_cannot_be_deleted(root):
    period = make_period()
    Indicator.objects.create(
        scheme=period.scheme,
        code="项目",
        name="项目实绩",
        group="individual",
        track="project",
        dimension="绩",
        weight=10,
    )
    with pytest.raises(
        ValidationError, match="赛道“项目建设”已被考核记录、指标或排名使用，不能删除；如不再使用请停用"
    ):
        track_delete(actor=root, track=RaceTrack.objects.get(code="project"))
    assert RaceTrack.objects.filter(code="project").exists()


def test_an_unused_track_is_deleted_audited(root):
    track_delete(actor=root, track=RaceTrack.objects.get(code="enterprise"))
    assert order() == ["rural", "project", "governance"]
    assert AuditEntry.objects.filter(model="assessment.racetrack", action="delete").count() == 1


def test_tracks_move_up_and_down_and_not_past_the_ends(root):
    track_move(actor=root, track=RaceTrack.objects.get(code="governance"), up=True)
    assert order() == ["rural", "project", "governance", "enterprise"]
    track_move(actor=root, track=RaceTrack.objects.get(code="rural"), up=False)
    assert order() == ["project", "rural", "governance", "enterprise"]
    with pytest.raises(ValidationError, match="已在最前"):
        track_move(actor=root, track=RaceTrack.objects.get(code="project"), up=True)
    with pytest.raises(ValidationError, match="已在最后"):
        track_move(actor=root, track=RaceTrack.objects.get(code="enterprise"), up=False)


def test_a_track_is_deactivated_and_brought_back(root):
    rural = RaceTrack.objects.get(code="rural")
    assert track_set_active(actor=root, track=rural, active=False).active is False
    with pytest.raises(ValidationError, match="已停用"):
        track_set_active(actor=root, track=rural, active=False)
    assert track_set_active(actor=root, track=rural, active=True).active is True


# --------------------------------------------------------------------------- assignment


@pytest.fixture
def open_period(tree):
    """A 2026 annual period taking scores: 甲镇 甲乙丙 and 乙镇 丁, none on a track."""
    period = make_period(year=2026, status="collecting")
    for unit, names in ((tree["town_a"], "甲乙丙"), (tree["town_b"], "丁")):
        for name in names:
            cadre = CadreFactory(unit=unit, name=name)
            Assessment.objects.create(period=period, cadre=cadre, unit=unit)
    return period


def tracks_of(period) -> dict:
    return dict(Assessment.objects.filter(period=period).values_list("cadre__name", "track"))


def ids(*names) -> list[int]:
    return list(Assessment.objects.filter(cadre__name__in=names).values_list("cadre_id", flat=True))


def test_many_cadres_are_put_on_a_track_at_once_audited_one_entry_each(users, open_period):
    result = tracks_assign(
        actor=users[Role.STAFF], period=open_period, cadre_ids=ids("甲", "乙"), track="project"
    )
    assert result["updated"] == 2
    assert tracks_of(open_period) == {"甲": "project", "乙": "project", "丙": "", "丁": ""}
    entries = AuditEntry.objects.filter(model="assessment.assessment", reason="赛道分配")
    assert entries.count() == 2
    assert all(e.changes == {"track": ["", "project"]} for e in entries)


def test_an_empty_track_takes_cadres_off_their_track(users, open_period):
    tracks_assign(actor=users[Role.STAFF], period=open_period, cadre_ids=ids("甲"), track="rural")
    tracks_assign(actor=users[Role.STAFF], period=open_period, cadre_ids=ids("甲"), track="")
    assert tracks_of(open_period)["甲"] == ""


def test_an_inactive_track_is_refused_and_nothing_is_written(users, open_period):
    RaceTrack.objects.filter(code="rural").update(active=False)
    with pytest.raises(ValidationError) as caught:
        tracks_assign(actor=users[Role.STAFF], period=open_period, cadre_ids=ids("甲"), track="rural")
    assert caught.value.message_dict == {"track": ["赛道“乡村振兴”已停用，不能再分配。"]}
    assert set(tracks_of(open_period).values()) == {""}


def test_an_unknown_track_is_refused(users, open_period):
    with pytest.raises(ValidationError, match="未知的赛道“moon”"):
        tracks_assign(actor=users[Role.STAFF], period=open_period, cadre_ids=ids("甲"), track="moon")


def test_a_cadre_out_of_scope_refuses_the_whole_assignment(users, open_period):
    """甲县 staff may not assign 丁 of 乙镇 (乙县): nobody is assigned, 甲 included."""
    with pytest.raises(ValidationError) as caught:
        tracks_assign(actor=users[Role.STAFF], period=open_period, cadre_ids=ids("甲", "丁"), track="rural")
    assert caught.value.message_dict == {
        "cadres": ["所选干部中有 1 人不在您的管辖范围内或未参加本考核期，未作任何修改。"]
    }
    assert set(tracks_of(open_period).values()) == {""}


def test_a_cadre_not_assessed_in_the_period_is_refused(users, open_period, tree):
    outsider = CadreFactory(unit=tree["town_a"], name="外")
    with pytest.raises(ValidationError, match="未参加本考核期"):
        tracks_assign(actor=users[Role.STAFF], period=open_period, cadre_ids=[outsider.pk], track="rural")


def test_nobody_ticked_is_refused(users, open_period):
    with pytest.raises(ValidationError, match="请选择干部"):
        tracks_assign(actor=users[Role.STAFF], period=open_period, cadre_ids=[], track="rural")


def test_a_published_period_keeps_its_tracks(users, tree):
    period = annual()
    run(period, CadreFactory(unit=tree["town_a"], name="甲"), "")
    with pytest.raises(ValidationError, match="已公布”阶段，不能再调整赛道"):
        tracks_assign(actor=users[Role.STAFF], period=period, cadre_ids=ids("甲"), track="rural")


def test_a_role_without_manage_incentives_may_not_assign(users, open_period):
    with pytest.raises(PermissionDenied, match="无权管理赛马赛道和排名"):
        tracks_assign(actor=users[Role.COUNTY_ADMIN], period=open_period, cadre_ids=ids("甲"), track="rural")
