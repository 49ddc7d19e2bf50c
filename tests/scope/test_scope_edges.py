"""Scope at query level, at its edges: a user without a unit sees and changes nothing, a user at
a township sees exactly the township and its village, a county user reaches neither the city
above nor the other county, and a superuser without a unit sees everything."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from assessment.models import Assessment, PolicyRule, TeamAssessment
from assessment.selectors import (
    assessments_visible_to,
    import_batches_visible_to,
    team_assessments_visible_to,
)
from assessment.services.policy import policy_rule_save
from assessment.services.scores import scores_save
from audit.models import AuditEntry
from audit.selectors import audit_visible_to
from cadres import services as cadre_services
from cadres.models import Cadre, TeamMembership, Unit
from cadres.selectors import cadre_get, cadre_lookup, cadres_visible_to, unit_get, units_visible_to
from core.models import Job
from core.selectors import jobs_visible_to
from supervision.models import Interview, ProblemClue, Sanction
from supervision.selectors.interviews import (
    interviews_visible_to,
    monthly_summary,
    reminders_visible_to,
    todo_for,
)
from supervision.selectors.records import (
    cadres_on_hold_ids,
    checks_visible_to,
    clues_visible_to,
    promotion_candidates,
    review_items_visible_to,
    sanctions_visible_to,
)
from supervision.services import interviews as interview_services
from supervision.services import records as record_services
from supervision.services import sanctions as sanction_services
from tests.factories import make_id
from tests.scope.conftest import (
    COUNTY_SCOPE,
    NO_UNIT_USERS,
    OUT_OF_COUNTY,
    OUT_OF_TOWNSHIP,
    TOWNSHIP_SCOPE,
    TOWNSHIP_USERS,
    UNITS,
)

# name -> (selector, how a row leads to its unit's key in the world)
SELECTORS = {
    "units": units_visible_to,
    "cadres": cadres_visible_to,
    "interviews": interviews_visible_to,
    "reminders": reminders_visible_to,
    "assessments": assessments_visible_to,
    "team_assessments": team_assessments_visible_to,
    "import_batches": import_batches_visible_to,
    "jobs": jobs_visible_to,
    "sanctions": sanctions_visible_to,
    "clues": clues_visible_to,
    "checks": checks_visible_to,
    "review_items": review_items_visible_to,
    "audit": audit_visible_to,
    "on_hold": cadres_on_hold_ids,
}

# For the township user: the world's objects each selector must return, exactly.
EXPECTED = {
    "units": lambda w, keys: {w.units[k].pk for k in keys},
    "cadres": lambda w, keys: {c.pk for k in keys for c in (w.cadres[k], w.spares[k])},
    "interviews": lambda w, keys: {w.interviews[k].pk for k in keys},
    "assessments": lambda w, keys: {w.assessments[k].pk for k in keys},
    "team_assessments": lambda w, keys: {w.team_assessments[k].pk for k in keys},
    "import_batches": lambda w, keys: {w.batches[k].pk for k in keys},
    "jobs": lambda w, keys: {w.jobs[k].pk for k in keys},
    "sanctions": lambda w, keys: {w.sanctions[k].pk for k in keys},
    "clues": lambda w, keys: {w.clues[k].pk for k in keys},
    "checks": lambda w, keys: {w.checks[k].pk for k in keys},
    "review_items": lambda w, keys: {w.review_items[k].pk for k in keys},
    "on_hold": lambda w, keys: {w.cadres[k].pk for k in keys},
}


def _ids(qs) -> set:
    if qs.query.values_select or getattr(qs, "_fields", None):
        return set(qs)
    return set(qs.values_list("pk", flat=True))


# ---------------------------------------------------------------- a user without a unit


@pytest.mark.parametrize("selector", sorted(SELECTORS))
def test_a_user_without_a_unit_sees_nothing(world, selector):
    seen = {name: SELECTORS[selector](world.users[name]).count() for name in NO_UNIT_USERS}
    assert seen == dict.fromkeys(NO_UNIT_USERS, 0)


@pytest.mark.parametrize("username", NO_UNIT_USERS)
def test_a_user_without_a_unit_finds_nothing_by_id_or_name(world, username):
    user = world.users[username]
    for key in UNITS:
        with pytest.raises(Http404):
            unit_get(user, world.units[key].pk)
        with pytest.raises(Http404):
            cadre_get(user, world.cadres[key].pk)
        assert cadre_lookup(user, world.cadres[key].name) == []
        assert cadre_lookup(user, world.cadres[key].id_number) == []
    assert promotion_candidates(user, Cadre.objects.all()).count() == 0
    todo = todo_for(user)
    assert todo["reminders"].count() == 0 and todo["approvals"].count() == 0
    assert monthly_summary(user, year=world.period.year + 1, month=1)["total"] == 0


def test_a_superuser_without_a_unit_sees_everything(world):
    root = world.users["root"]
    assert units_visible_to(root).count() == Unit.objects.count() == len(UNITS)
    assert cadres_visible_to(root).count() == Cadre.objects.count()
    assert interviews_visible_to(root).count() == Interview.objects.count()
    assert audit_visible_to(root).count() == AuditEntry.objects.count()
    assert jobs_visible_to(root).count() == Job.objects.count()


def _writes(world):
    """Every kind of write, each aimed at a unit or cadre of the world (the township's own)."""
    unit, cadre = world.units["town_a1"], world.cadres["town_a1"]
    interview = world.interviews["town_a1"]
    member = world.members["town_a1"]
    return {
        "unit_create_under": lambda u: cadre_services.unit_create(
            actor=u, parent=unit, code="NEW1", name="新办", kind="department"
        ),
        "unit_create_root": lambda u: cadre_services.unit_create(
            actor=u, parent=None, code="NEW2", name="新市", kind="city"
        ),
        "unit_update": lambda u: cadre_services.unit_update(actor=u, unit=unit, name="改名", code=unit.code),
        "cadre_create": lambda u: cadre_services.cadre_create(
            actor=u,
            unit=unit,
            name="新干部",
            id_number=make_id(cadre.birth_date),
            birth_date=cadre.birth_date,
            gender=cadre.gender,
            work_start_date=cadre.work_start_date,
            political_status="cpc",
            party_join_date=cadre.party_join_date,
            identity=cadre.identity,
            kind=cadre.kind,
            rank=cadre.rank,
            post_title="科员",
            status="on_post",
        ),
        "cadre_update": lambda u: cadre_services.cadre_update(actor=u, cadre=cadre, post_title="改任"),
        "cadre_delete": lambda u: cadre_services.cadre_delete(actor=u, cadre=world.spares["town_a1"]),
        "team_remove": lambda u: cadre_services.team_member_remove(actor=u, member=member),
        "talk": lambda u: interview_services.interview_record(
            actor=u,
            kind="talk",
            subject_type="cadre",
            cadre=cadre,
            conducted_on=interview.conducted_on,
            record="谈话",
        ),
        "team_talk": lambda u: interview_services.interview_record(
            actor=u,
            kind="talk",
            subject_type="team",
            unit=unit,
            conducted_on=interview.conducted_on,
            record="谈话",
        ),
        "interview_update": lambda u: interview_services.interview_update(
            actor=u, interview=interview, record="改写"
        ),
        "clue": lambda u: record_services.clue_create(
            actor=u, cadre=cadre, source="petition", received_on=interview.conducted_on, summary="问题"
        ),
        "sanction": lambda u: sanction_services.sanction_create(
            actor=u, cadre=cadre, kind="warning", decided_on=interview.conducted_on, reason="事由"
        ),
        "scores": lambda u: scores_save(
            actor=u, period=world.period, entries=[{"cadre": cadre, "scores": {"德": 90}}]
        ),
        "policy_unit": lambda u: policy_rule_save(
            actor=u,
            unit=unit,
            kind="thresholds",
            key="",
            params={"excellent_min": 90, "competent_min": 71, "basic_min": 60},
        ),
        "policy_default": lambda u: policy_rule_save(
            actor=u,
            unit=None,
            kind="thresholds",
            key="",
            params={"excellent_min": 90, "competent_min": 71, "basic_min": 60},
        ),
    }


def _counts():
    return {
        "units": Unit.objects.count(),
        "cadres": Cadre.objects.count(),
        "cadre_names": sorted(Cadre.objects.values_list("post_title", flat=True)),
        "unit_names": sorted(Unit.objects.values_list("name", flat=True)),
        "members": TeamMembership.objects.count(),
        "interviews": Interview.objects.count(),
        "records": sorted(Interview.objects.values_list("record", flat=True)),
        "clues": ProblemClue.objects.count(),
        "sanctions": Sanction.objects.count(),
        "scores": sorted(str(s) for s in Assessment.objects.values_list("scores", flat=True)),
        "teams": TeamAssessment.objects.count(),
        "rules": sorted(str(p) for p in PolicyRule.objects.values_list("unit_id", "params")),
        "audit": AuditEntry.objects.count(),
    }


WRITES = [
    "unit_create_under",
    "unit_create_root",
    "unit_update",
    "cadre_create",
    "cadre_update",
    "cadre_delete",
    "team_remove",
    "talk",
    "team_talk",
    "interview_update",
    "clue",
    "sanction",
    "scores",
    "policy_unit",
    "policy_default",
]


@pytest.mark.parametrize("write", WRITES)
def test_a_user_without_a_unit_changes_nothing(world, write):
    before = _counts()
    for name in NO_UNIT_USERS:
        with pytest.raises((ValidationError, PermissionDenied, Http404)):
            _writes(world)[write](world.users[name])
        assert _counts() == before, name


# ---------------------------------------------------------------- a township user


@pytest.mark.parametrize("selector", sorted(EXPECTED))
def test_a_township_user_sees_exactly_the_township_and_its_village(world, selector):
    expected = EXPECTED[selector](world, TOWNSHIP_SCOPE)
    for name in TOWNSHIP_USERS:
        assert _ids(SELECTORS[selector](world.users[name])) == expected, name


@pytest.mark.parametrize("username", ["town_staff", "town_head", "town_auditor"])
def test_a_township_user_reads_only_the_townships_audit_trail(world, username):
    user = world.users[username]
    paths = set(audit_visible_to(user).values_list("scope_path", flat=True))
    assert paths == {world.units[k].path for k in TOWNSHIP_SCOPE}


def test_a_county_user_sees_the_county_and_everything_below_it_but_not_above_or_beside(world):
    user = world.users["county_staff"]
    assert _ids(units_visible_to(user)) == {world.units[k].pk for k in COUNTY_SCOPE}
    assert _ids(cadres_visible_to(user)) == {
        c.pk for k in COUNTY_SCOPE for c in (world.cadres[k], world.spares[k])
    }


@pytest.mark.parametrize("write", WRITES[:-1])
def test_a_township_or_county_user_cannot_write_above_or_beside_their_unit(world, write):
    """The same writes aimed at a unit outside the user's subtree: refused, nothing changed.
    For 甲一镇: its county, the county's department and other township, the city, the other
    county's township and village. For 甲县: the city and the other county's units."""
    before = _counts()
    cases = [("town_staff", t) for t in OUT_OF_TOWNSHIP] + [("county_staff", t) for t in OUT_OF_COUNTY]
    for username, target in cases:
        with pytest.raises((ValidationError, PermissionDenied, Http404)):
            _writes(_retarget(world, target))[write](world.users[username])
        assert _counts() == before, (username, target)


def _retarget(world, key):
    """A view of the world where "town_a1" names another unit's objects."""
    from copy import copy

    shifted = copy(world)
    for name in ("units", "cadres", "interviews", "members", "spares"):
        mapping = dict(getattr(world, name))
        mapping["town_a1"] = mapping[key]
        setattr(shifted, name, mapping)
    return shifted


@pytest.mark.parametrize("write", WRITES)
def test_the_same_writes_succeed_for_the_citys_staff(world, write):
    """The control: each write above is refused for its scope, not for being malformed."""
    # only a superuser (the whole tree) may add a top unit or change the default rules
    actor = world.users["root" if write in ("unit_create_root", "policy_default") else "city_staff"]
    before = _counts()
    _writes(world)[write](actor)
    assert _counts() != before


def test_a_team_member_is_not_moved_out_of_the_teams_subtree(world):
    """Else 甲一镇's team would go on naming, to 甲一镇's users, a cadre now at 乙一镇."""
    city = world.users["city_staff"]
    cadre = world.cadres["town_a1"]
    with pytest.raises(ValidationError) as refused:
        cadre_services.cadre_update(actor=city, cadre=cadre, unit=world.units["town_b1"])
    assert refused.value.message_dict == {
        "unit": ["该干部是甲一镇领导班子成员，调出前请先在单位页面将其移出班子。"]
    }
    assert Cadre.objects.get(pk=cadre.pk).unit_id == world.units["town_a1"].pk
    # down into the team's own subtree is still a move like any other
    cadre_services.cadre_update(actor=city, cadre=cadre, unit=world.units["village_a1a"])
    assert Cadre.objects.get(pk=cadre.pk).unit_id == world.units["village_a1a"].pk
    # once off the team, the cadre moves anywhere
    cadre_services.team_member_remove(actor=city, member=world.members["town_a1"])
    cadre_services.cadre_update(actor=city, cadre=cadre, unit=world.units["town_b1"])
    town_user = world.users["town_staff"]
    names = TeamMembership.objects.filter(unit__in=units_visible_to(town_user)).values_list(
        "cadre__name", flat=True
    )
    assert set(names) <= {c.name for c in cadres_visible_to(town_user)}
