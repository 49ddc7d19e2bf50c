import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.roles import Role
from audit.models import AuditEntry
from cadres import services
from cadres.models import TeamMembership, Unit
from tests.factories import CadreFactory, EducationFactory


def test_only_one_main_leader_per_unit(users, tree):
    a = CadreFactory(unit=tree["town_a"], name="书记")
    b = CadreFactory(unit=tree["town_a"], name="镇长")
    staff = users[Role.STAFF]
    services.team_member_add(
        actor=staff, unit=tree["town_a"], cadre=a, role_title="党委书记", is_main_leader=True
    )
    member_b = services.team_member_add(actor=staff, unit=tree["town_a"], cadre=b, role_title="镇长")
    services.team_set_main_leader(actor=staff, member=member_b)
    leaders = list(
        TeamMembership.objects.filter(unit=tree["town_a"], is_main_leader=True).values_list(
            "cadre__name", flat=True
        )
    )
    assert leaders == ["镇长"]
    assert AuditEntry.objects.filter(model="cadres.teammembership", action="update").count() == 2


def test_a_team_member_must_belong_to_the_unit(users, tree, cadre_b):
    with pytest.raises(ValidationError) as err:
        services.team_member_add(
            actor=users["city_staff"], unit=tree["town_a"], cadre=cadre_b, role_title="副镇长"
        )
    assert "本单位" in err.value.message_dict["cadre"][0]


def test_read_only_roles_cannot_write(users, cadre_a):
    for role in (Role.COUNTY_ADMIN, Role.API_READER, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            services.cadre_update(actor=users[role], cadre=cadre_a, post_title="x")


def test_staff_cannot_move_a_cadre_out_of_their_subtree(users, cadre_a, tree):
    with pytest.raises(ValidationError) as err:
        services.cadre_update(actor=users[Role.STAFF], cadre=cadre_a, unit=tree["town_b"])
    assert "管辖范围" in err.value.message_dict["unit"][0]


def test_a_unit_kind_must_fit_under_its_parent(users, tree):
    with pytest.raises(ValidationError) as err:
        services.unit_create(
            actor=users[Role.STAFF], parent=tree["town_a"], code="X", name="某县", kind="county"
        )
    assert "不能设立" in err.value.message_dict["kind"][0]
    assert not Unit.objects.filter(code="X").exists()


def test_education_history_changes_are_audited_on_the_cadre(users, cadre_a):
    edu = EducationFactory.build()
    services.history_save(actor=users[Role.STAFF], cadre=cadre_a, instance=edu)
    edu.school = "中南大学"
    services.history_save(actor=users[Role.STAFF], cadre=cadre_a, instance=edu)
    entry = AuditEntry.objects.get(model="cadres.education", action="update")
    assert entry.cadre_id == cadre_a.pk
    assert entry.changes == {"school": ["湖南大学", "中南大学"]}


def test_deleting_a_team_member_cadre_is_refused_with_a_reason(users, cadre_a, tree):
    services.team_member_add(actor=users[Role.STAFF], unit=tree["town_a"], cadre=cadre_a, role_title="镇长")
    with pytest.raises(ValidationError) as err:
        services.cadre_delete(actor=users[Role.STAFF], cadre=cadre_a)
    assert "领导班子" in err.value.messages[0]
