"""Scope on the pages, at its edges: every page of an object outside the user's subtree answers
404 exactly as a page of an object that does not exist; every form that writes under a unit or
about a cadre outside it is refused with the message a nonexistent id gets, and nothing is
written; lists filtered by an outside unit, and the pages of the user's own objects, name
nothing outside."""

import datetime
import io
import re
import uuid

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessment.models import Assessment, PolicyRule, TeamAssessment
from audit.models import AuditEntry
from cadres.models import Cadre, Education, TeamMembership, Unit
from core.models import Job
from supervision.models import (
    Attachment,
    Exemption,
    Interview,
    PersonalMattersCheck,
    ProblemClue,
    ReviewItem,
    Sanction,
)
from tests.scope.conftest import (
    MISSING_ID,
    NO_UNIT_USERS,
    OUT_OF_COUNTY,
    OUT_OF_TOWNSHIP,
    UNITS,
    png_upload,
)

MISSING_UUID = uuid.UUID(int=1)
YEAR = datetime.date.today().year


def pk(mapping, key):
    return MISSING_ID if key is None else mapping[key].pk


def upk(mapping, key):
    return MISSING_UUID if key is None else mapping[key].pk


# name -> URL of the page of the world's object of unit ``k`` (``None``: an id no row has)
GET_PAGES = {
    "cadre_detail": lambda w, k: reverse("cadres:detail", args=[pk(w.cadres, k)]),
    "cadre_edit": lambda w, k: reverse("cadres:edit", args=[pk(w.cadres, k)]),
    "cadre_delete": lambda w, k: reverse("cadres:delete", args=[pk(w.cadres, k)]),
    "cadre_history_add": lambda w, k: reverse("cadres:history_add", args=[pk(w.cadres, k), "education"]),
    "cadre_create_in_unit": lambda w, k: reverse("cadres:create") + f"?unit={pk(w.units, k)}",
    "unit_detail": lambda w, k: reverse("cadres:unit_detail", args=[pk(w.units, k)]),
    "unit_edit": lambda w, k: reverse("cadres:unit_edit", args=[pk(w.units, k)]),
    "unit_create_under": lambda w, k: reverse("cadres:unit_create") + f"?parent={pk(w.units, k)}",
    "interview_detail": lambda w, k: reverse("supervision:interview_detail", args=[pk(w.interviews, k)]),
    "interview_edit": lambda w, k: reverse("supervision:interview_edit", args=[pk(w.interviews, k)]),
    "attachment_download": lambda w, k: reverse(
        "supervision:attachment_download", args=[pk(w.attachments, k)]
    ),
    "interview_new_for_cadre": lambda w, k: (
        reverse("supervision:interview_new") + f"?cadre={pk(w.cadres, k)}"
    ),
    "interview_new_for_team": lambda w, k: reverse("supervision:interview_new") + f"?unit={pk(w.units, k)}",
    "clue_detail": lambda w, k: reverse("supervision:clue_detail", args=[pk(w.clues, k)]),
    "clue_create_for": lambda w, k: reverse("supervision:clue_create") + f"?cadre={pk(w.cadres, k)}",
    "check_create_for": lambda w, k: reverse("supervision:check_create") + f"?cadre={pk(w.cadres, k)}",
    "sanction_create_for": lambda w, k: reverse("supervision:sanction_create") + f"?cadre={pk(w.cadres, k)}",
    "review_detail": lambda w, k: reverse("supervision:review_detail", args=[pk(w.cadres, k), YEAR]),
    "assessment_detail": lambda w, k: reverse("assessment:assessment_detail", args=[pk(w.assessments, k)]),
    "grid": lambda w, k: reverse("assessment:grid", args=[w.period.pk, pk(w.units, k)]),
    "results": lambda w, k: reverse("assessment:results", args=[w.period.pk, pk(w.units, k)]),
    "import_detail": lambda w, k: reverse("assessment:import_detail", args=[upk(w.batches, k)]),
    "import_file": lambda w, k: reverse("assessment:import_file", args=[upk(w.batches, k)]),
    "import_annotated": lambda w, k: reverse("assessment:import_annotated", args=[upk(w.batches, k)]),
    "policy_of_unit": lambda w, k: reverse("assessment:policy") + f"?unit={pk(w.units, k)}",
    "policy_edit_of_unit": lambda w, k: (
        reverse("assessment:policy_edit") + f"?unit={pk(w.units, k)}&kind=thresholds"
    ),
}

# Who looks, and which units are outside for them.
LOOKERS = {
    "town_staff": OUT_OF_TOWNSHIP,
    "town_county_admin": OUT_OF_TOWNSHIP,
    "town_auditor": OUT_OF_TOWNSHIP,
    "county_staff": OUT_OF_COUNTY,
    "nounit_staff": sorted(UNITS),
    "nounit_auditor": sorted(UNITS),
}


def _text(response) -> str:
    if response.get("Content-Type", "").startswith("text/html"):
        return response.content.decode()
    return ""


def _named(world, text: str, keys) -> list[str]:
    return [n for n in world.names_outside(keys) if n in text]


@pytest.mark.parametrize("page", sorted(GET_PAGES))
def test_a_page_of_an_object_outside_the_subtree_answers_as_a_missing_one(world, client, page):
    for username, outside in LOOKERS.items():
        client.force_login(world.users[username])
        missing = client.get(GET_PAGES[page](world, None))
        assert missing.status_code in (403, 404), (username, missing.status_code)
        for key in outside:
            response = client.get(GET_PAGES[page](world, key))
            assert response.status_code == missing.status_code, (username, key, response.status_code)
            assert _named(world, _text(response), outside) == [], (username, key)


# The pages of the user's own objects: 200, and nothing outside is named on them.
@pytest.mark.parametrize("page", sorted(set(GET_PAGES) - {"import_file", "import_annotated"}))
@pytest.mark.parametrize(
    ("username", "key", "outside"),
    [("town_staff", "town_a1", OUT_OF_TOWNSHIP), ("county_staff", "county_a", OUT_OF_COUNTY)],
)
def test_the_page_of_an_own_object_names_nothing_outside(world, client, page, username, key, outside):
    client.force_login(world.users[username])
    response = client.get(GET_PAGES[page](world, key))
    assert response.status_code == 200, response.status_code
    assert _named(world, _text(response), outside) == []


def test_a_cadre_on_the_team_of_the_unit_above_does_not_name_that_unit_to_the_township(world, client):
    """李镇长 of 甲一镇 also sits on 甲县's team: the township user sees the cadre, not 甲县."""
    from cadres.services import team_member_add

    team_member_add(
        actor=world.users["city_staff"],
        unit=world.units["county_a"],
        cadre=world.cadres["town_a1"],
        role_title="县委委员",
    )
    client.force_login(world.users["town_staff"])
    text = client.get(reverse("cadres:detail", args=[world.cadres["town_a1"].pk])).content.decode()
    assert "李镇长" in text
    assert _named(world, text, OUT_OF_TOWNSHIP) == []
    client.force_login(world.users["county_staff"])
    text = client.get(reverse("cadres:detail", args=[world.cadres["town_a1"].pk])).content.decode()
    assert "县委委员" in text and "甲县" in text


# Lists with a unit filter set to a unit outside: nothing outside named, nothing outside listed.
LISTS = {
    "cadres": "cadres:list",
    "units": "cadres:units",
    "interviews": "supervision:interviews",
    "clues": "supervision:clue_list",
    "checks": "supervision:check_list",
    "review": "supervision:review_list",
    "sanctions": "supervision:sanction_list",
    "summary": "supervision:monthly_summary",
    "records_home": "supervision:records_home",
    "imports": "assessment:import_history",
    "periods": "assessment:periods",
    "period": None,
    "home": "home",
    "audit": "audit:list",
}


def _list_url(world, name, unit_pk) -> str:
    talk_day = world.interviews["town_a1"].conducted_on
    if name == "period":
        return reverse("assessment:period_detail", args=[world.period.pk])
    query = f"?unit={unit_pk}&year={talk_day.year}&month={talk_day.month}&include_closed=on"
    return reverse(LISTS[name]) + query


@pytest.mark.parametrize("name", sorted(LISTS))
def test_a_list_filtered_by_a_unit_outside_names_nothing_outside(world, client, name):
    for username, outside in LOOKERS.items():
        client.force_login(world.users[username])
        for key in outside:
            response = client.get(_list_url(world, name, world.units[key].pk))
            assert response.status_code in (200, 403), (username, key, response.status_code)
            assert _named(world, _text(response), outside) == [], (username, key)


@pytest.mark.parametrize("name", sorted(LISTS))
def test_a_list_shows_the_township_user_their_own_and_nothing_else(world, client, name):
    client.force_login(world.users["town_staff"])
    response = client.get(_list_url(world, name, ""))
    assert response.status_code in (200, 403)
    assert _named(world, _text(response), OUT_OF_TOWNSHIP) == []


@pytest.mark.parametrize("username", NO_UNIT_USERS)
def test_a_user_without_a_unit_is_shown_no_name_anywhere(world, client, username):
    client.force_login(world.users[username])
    for name in LISTS:
        response = client.get(_list_url(world, name, ""))
        assert response.status_code in (200, 403), name
        assert _named(world, _text(response), UNITS) == [], name


def _xlsx_text(content: bytes) -> str:
    wb = load_workbook(io.BytesIO(content))
    return " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)


@pytest.mark.parametrize(
    ("username", "outside"), [("town_staff", OUT_OF_TOWNSHIP), ("county_staff", OUT_OF_COUNTY)]
)
def test_the_monthly_summary_sheet_names_nothing_outside(world, client, username, outside):
    client.force_login(world.users[username])
    day = world.interviews["town_a1"].conducted_on
    for unit in ["", *(world.units[k].pk for k in outside)]:
        response = client.get(
            reverse("supervision:monthly_summary")
            + f"?year={day.year}&month={day.month}&unit={unit}&format=xlsx"
        )
        assert response.status_code == 200
        if unit == "":
            text = _xlsx_text(response.content)
            assert "甲一镇" in text
        else:  # the filter is refused: the page says so, without the sheet
            text = _text(response)
        assert _named(world, text, outside) == []


# ---------------------------------------------------------------- writes through the forms


def _state():
    """What a refused write must leave as it was."""
    return {
        "units": sorted(Unit.objects.values_list("pk", "name", "code")),
        "cadres": sorted(Cadre.objects.values_list("pk", "unit_id", "post_title", "name")),
        "educations": Education.objects.count(),
        "members": sorted(TeamMembership.objects.values_list("pk", "unit_id", "cadre_id", "is_main_leader")),
        "interviews": sorted(Interview.objects.values_list("pk", "status", "record")),
        "attachments": Attachment.objects.count(),
        "clues": sorted(ProblemClue.objects.values_list("pk", "status")),
        "checks": PersonalMattersCheck.objects.count(),
        "items": sorted(ReviewItem.objects.values_list("pk", "status")),
        "item_checks": sorted(ReviewItem.objects.values_list("checks__pk", flat=True), key=str),
        "sanctions": sorted(Sanction.objects.values_list("pk", "kind")),
        "exemptions": Exemption.objects.count(),
        "assessments": sorted(
            (a, str(s), o) for a, s, o in Assessment.objects.values_list("pk", "scores", "override_grade")
        ),
        "teams": sorted(TeamAssessment.objects.values_list("pk", "override_grade")),
        "rules": PolicyRule.objects.count(),
        "jobs": Job.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def _cadre_form(world, key, unit_pk):
    c = world.cadres[key]
    return {
        "unit": unit_pk,
        "name": "新登记",
        "gender": c.gender,
        "ethnicity": "汉族",
        "id_number": c.id_number,
        "birth_date": c.birth_date.isoformat(),
        "work_start_date": c.work_start_date.isoformat(),
        "political_status": c.political_status,
        "party_join_date": c.party_join_date.isoformat(),
        "identity": c.identity,
        "kind": c.kind,
        "rank": c.rank,
        "post_title": "科员",
        "status": c.status,
    }


# name -> (URL, POST data) for the object or unit of key ``k`` (``None``: an id no row has).
# Each is a write a township or county user may do on their own objects.
POSTS_ON_OBJECT = {
    "cadre_edit": lambda w, k: (reverse("cadres:edit", args=[pk(w.cadres, k)]), {"name": "改名"}),
    "cadre_delete": lambda w, k: (reverse("cadres:delete", args=[pk(w.spares, k)]), {"reason": "调出"}),
    "history_add": lambda w, k: (
        reverse("cadres:history_add", args=[pk(w.cadres, k), "education"]),
        {"level": "master", "school": "某大学", "major": "管理", "end_date": "2010-06-30"},
    ),
    "unit_edit": lambda w, k: (
        reverse("cadres:unit_edit", args=[pk(w.units, k)]),
        {"name": "改名", "code": "X9"},
    ),
    "team_add_to_unit": lambda w, k: (
        reverse("cadres:team_add", args=[pk(w.units, k)]),
        {"cadre": w.spares["town_a1"].pk, "role_title": "委员"},
    ),
    "team_remove": lambda w, k: (
        reverse("cadres:team_remove", args=[pk(w.units, k), pk(w.members, k)]),
        {},
    ),
    "team_set_main": lambda w, k: (
        reverse("cadres:team_set_main", args=[pk(w.units, k), pk(w.members, k)]),
        {},
    ),
    "interview_edit": lambda w, k: (
        reverse("supervision:interview_edit", args=[pk(w.interviews, k)]),
        {"record": "改写"},
    ),
    "interview_step": lambda w, k: (
        reverse("supervision:interview_step", args=[pk(w.interviews, k), "notice"]),
        {"notice_sent_on": datetime.date.today().isoformat()},
    ),
    "attachment_upload": lambda w, k: (
        reverse("supervision:attachment_upload", args=[pk(w.interviews, k)]),
        {"file": png_upload(), "stage": "other"},
    ),
    "clue_create": lambda w, k: (
        reverse("supervision:clue_create"),
        {"cadre": pk(w.spares, k), "source": "petition", "received_on": "2025-01-02", "summary": "问题"},
    ),
    "clue_verify": lambda w, k: (
        reverse("supervision:clue_verify", args=[pk(w.clues, k)]),
        {"status": "unfounded", "verified_on": datetime.date.today().isoformat(), "conclusion": "不实"},
    ),
    "clue_close": lambda w, k: (
        reverse("supervision:clue_close", args=[pk(w.clues, k)]),
        {"closed_on": datetime.date.today().isoformat(), "conclusion": "了结"},
    ),
    "check_create": lambda w, k: (
        reverse("supervision:check_create"),
        {
            "cadre": pk(w.spares, k),
            "year": YEAR - 1,
            "checked_on": datetime.date.today().isoformat(),
            "outcome": "truthful",
        },
    ),
    "sanction_create": lambda w, k: (
        reverse("supervision:sanction_create"),
        {"cadre": pk(w.spares, k), "kind": "warning", "decided_on": "2025-01-02", "reason": "事由"},
    ),
    "sanction_exemption": lambda w, k: (
        reverse("incentives:exemption_decide", args=["sanction", pk(w.sanctions, k)]),
        {
            "intent": "negligent",
            "motive": "public",
            "nature": "trial",
            "verdict": "tolerable",
            "basis": "容错",
            "decided_on": datetime.date.today().isoformat(),
        },
    ),
    "review_item_add": lambda w, k: (
        reverse("supervision:review_item_add", args=[pk(w.cadres, k), YEAR]),
        {"problem": "新问题"},
    ),
    "review_check_add": lambda w, k: (
        reverse("supervision:review_check_add", args=[pk(w.review_items, k)]),
        {
            f"c{pk(w.review_items, k)}-year": YEAR,
            f"c{pk(w.review_items, k)}-quarter": 1,
            f"c{pk(w.review_items, k)}-status": "on_track",
        },
    ),
    "review_item_close": lambda w, k: (
        reverse("supervision:review_item_close", args=[pk(w.review_items, k)]),
        {
            f"x{pk(w.review_items, k)}-closed_on": datetime.date.today().isoformat(),
            f"x{pk(w.review_items, k)}-evidence": "佐证",
        },
    ),
    "assessment_override": lambda w, k: (
        reverse("assessment:override", args=[pk(w.assessments, k)]),
        {"grade": "基本称职", "reason": "调整"},
    ),
    "assessment_correct": lambda w, k: (
        reverse("assessment:correct", args=[pk(w.assessments, k)]),
        {"reason": "更正"},
    ),
    "team_override": lambda w, k: (
        reverse("assessment:team_override", args=[pk(w.team_assessments, k)]),
        {"grade": "一般", "reason": "调整"},
    ),
    "grid": lambda w, k: (
        reverse("assessment:grid", args=[w.period.pk, pk(w.units, k)]),
        {f"s-{pk(w.cadres, k)}-0": "90"},
    ),
    "policy_edit": lambda w, k: (
        reverse("assessment:policy_edit") + f"?unit={pk(w.units, k)}&kind=thresholds",
        {"excellent_min": "90", "competent_min": "71", "basic_min": "60", "enabled": "on"},
    ),
    "policy_reset": lambda w, k: (
        reverse("assessment:policy_reset"),
        {"unit": pk(w.units, k), "kind": "thresholds", "key": ""},
    ),
    "import_commit": lambda w, k: (reverse("assessment:import_commit", args=[upk(w.batches, k)]), {}),
}

WRITERS = {
    "town_staff": OUT_OF_TOWNSHIP,
    "town_head": OUT_OF_TOWNSHIP,
    "county_staff": OUT_OF_COUNTY,
    "nounit_staff": sorted(UNITS),
    "nounit_head": sorted(UNITS),
}


def _post(client, url, data):
    for value in data.values():
        if hasattr(value, "seek"):
            value.seek(0)
    return client.post(url, data)


@pytest.mark.parametrize("write", sorted(POSTS_ON_OBJECT))
def test_a_form_aimed_at_an_object_outside_is_refused_as_a_missing_one(world, client, write):
    before = _state()
    for username, outside in WRITERS.items():
        client.force_login(world.users[username])
        url, data = POSTS_ON_OBJECT[write](world, None)
        missing = _post(client, url, data)
        assert missing.status_code == 404, (username, missing.status_code)
        for key in outside:
            url, data = POSTS_ON_OBJECT[write](world, key)
            response = _post(client, url, data)
            assert response.status_code == 404, (username, key, response.status_code)
            assert _state() == before, (username, key)


# Forms on the user's own ground that pick a unit or cadre by id: an id outside gets the
# message a nonexistent id gets, and nothing is written.
PICKS = {
    "cadre_create_in": lambda w, me, target: (reverse("cadres:create"), _cadre_form(w, "town_a1", target)),
    "cadre_move_to": lambda w, me, target: (
        reverse("cadres:edit", args=[w.cadres[me].pk]),
        _cadre_form(w, me, target) | {"name": w.cadres[me].name},
    ),
    "unit_create_under": lambda w, me, target: (
        reverse("cadres:unit_create"),
        {"parent": target, "code": "NEWX", "name": "新单位", "kind": "department"},
    ),
    "team_add_cadre": lambda w, me, target: (
        reverse("cadres:team_add", args=[w.units[me].pk]),
        {"cadre": target, "role_title": "委员"},
    ),
    "interview_about_cadre": lambda w, me, target: (
        reverse("supervision:interview_new"),
        {
            "kind": "talk",
            "subject_type": "cadre",
            "cadre": target,
            "conducted_on": "2025-03-01",
            "record": "谈话",
        },
    ),
    "interview_about_team": lambda w, me, target: (
        reverse("supervision:interview_new"),
        {
            "kind": "talk",
            "subject_type": "team",
            "unit": target,
            "conducted_on": "2025-03-01",
            "record": "谈话",
        },
    ),
    "review_open_for": lambda w, me, target: (
        reverse("supervision:review_open") + f"?cadre={target}&year={YEAR}",
        None,
    ),
}
# which kind of id each form picks
PICKS_CADRE = {"team_add_cadre", "interview_about_cadre", "review_open_for"}


def _errors(response, target_pk) -> str:
    """The form's error messages on the page, with the id typed replaced (it is the user's own)."""
    text = response.content.decode()
    found = re.findall(r'<div class="invalid-feedback[^"]*">(.*?)</div>', text, re.S)
    plain = re.sub(r"<[^>]+>", "", " ".join(found))
    return re.sub(r"\s+", " ", plain).replace(str(target_pk), "ID").strip()


@pytest.mark.parametrize("form", sorted(PICKS))
@pytest.mark.parametrize(
    ("username", "me", "outside"),
    [("town_staff", "town_a1", OUT_OF_TOWNSHIP), ("county_staff", "county_a", OUT_OF_COUNTY)],
)
def test_a_form_picking_an_id_outside_gets_the_message_of_a_missing_id(
    world, client, form, username, me, outside
):
    client.force_login(world.users[username])
    before = _state()

    def send(target):
        url, data = PICKS[form](world, me, target)
        return client.get(url) if data is None else client.post(url, data)

    missing = send(MISSING_ID)
    assert missing.status_code == 200, missing.status_code
    expected = _errors(missing, MISSING_ID)
    assert expected, "the form shows no error for a nonexistent id"
    for key in outside:
        target = (world.cadres if form in PICKS_CADRE else world.units)[key].pk
        response = send(target)
        assert response.status_code == 200, (key, response.status_code)
        assert _errors(response, target) == expected, key
        assert _named(world, response.content.decode(), outside) == [], key
        assert _state() == before, key


@pytest.mark.parametrize(("username", "subtree"), [("county_staff", "county_a"), ("town_staff", "town_a1")])
def test_the_recompute_button_recomputes_only_the_users_subtree(world, client, username, subtree):
    client.force_login(world.users[username])
    Job.objects.all().delete()
    response = client.post(reverse("assessment:recompute", args=[world.period.pk]))
    assert response.status_code == 302
    assert list(Job.objects.values_list("scope_path", flat=True)) == [world.units[subtree].path]


@pytest.mark.parametrize("username", ["nounit_staff", "nounit_head"])
def test_the_recompute_button_is_refused_to_a_user_without_a_unit(world, client, username):
    client.force_login(world.users[username])
    Job.objects.all().delete()
    response = client.post(reverse("assessment:recompute", args=[world.period.pk]))
    assert response.status_code == 403
    assert not Job.objects.exists()


def test_the_policy_pages_do_not_name_the_units_a_rule_is_inherited_from_above_the_user(world, client):
    from assessment.services.policy import policy_rule_save

    root = world.users["root"]
    thresholds = {"excellent_min": 90, "competent_min": 71, "basic_min": 60}
    policy_rule_save(actor=root, unit=world.units["county_a"], kind="thresholds", params=thresholds)
    policy_rule_save(
        actor=root, unit=world.units["city"], kind="quota", params={"ratio": 15, "rounding": "floor"}
    )
    town = world.units["town_a1"]
    pages = [
        reverse("assessment:policy"),
        reverse("assessment:policy") + f"?unit={town.pk}",
        reverse("assessment:policy_edit") + f"?unit={town.pk}&kind=thresholds",
        reverse("assessment:policy_edit") + f"?unit={town.pk}&kind=quota",
    ]
    client.force_login(world.users["town_staff"])
    for url in pages:
        text = client.get(url).content.decode()
        assert "继承自上级单位" in text, url
        assert _named(world, text, OUT_OF_TOWNSHIP) == [], url
    # the county's users see their own county named, and the city still not
    client.force_login(world.users["county_staff"])
    text = client.get(reverse("assessment:policy") + f"?unit={town.pk}").content.decode()
    assert "继承自甲县" in text and "示范市" not in text


def test_the_audit_trail_of_a_cadre_moved_in_does_not_name_the_unit_it_came_from(world, client):
    from cadres.services import cadre_update
    from tests.factories import CadreFactory

    city = world.users["city_staff"]
    newcomer = CadreFactory(unit=world.units["town_b1"], name="赵新调")
    cadre_update(actor=city, cadre=newcomer, unit=world.units["town_a1"], reason="调任")
    client.force_login(world.users["town_staff"])
    for url in (reverse("audit:list"), reverse("cadres:detail", args=[newcomer.pk])):
        text = client.get(url).content.decode()
        assert "赵新调" in text and "甲一镇" in text, url
        assert "不在您的管辖范围内或已删除" in text, url
        assert _named(world, text, OUT_OF_TOWNSHIP) == [], url
    # the city sees where the cadre came from
    client.force_login(city)
    assert "乙一镇" in client.get(reverse("cadres:detail", args=[newcomer.pk])).content.decode()
