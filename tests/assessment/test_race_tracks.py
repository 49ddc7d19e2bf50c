"""赛马 tracks are data (``RaceTrack``): scores, schemes, the grid and the API read the table,
new assignments must name an active track, and what is stored keeps working after a track is
renamed or deactivated."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, RaceTrack
from assessment.services.periods import scheme_save
from assessment.services.scores import scores_save
from tests.assessment.test_api import all_scores, api, graded, town_a_cadres  # noqa: F401 (fixtures)
from tests.assessment.test_schemes import ind
from tests.factories import CadreFactory


def row(period, cadre) -> Assessment:
    return Assessment.objects.get(period=period, cadre=cadre)


def deactivate(code: str) -> None:
    RaceTrack.objects.filter(code=code).update(active=False)


# ---------------------------------------------------------------- scores_save


def test_an_inactive_track_cannot_be_assigned(staff, annual_period, cadre_a):
    deactivate("rural")
    with pytest.raises(ValidationError, match="赛道“乡村振兴”已停用，不能再分配"):
        scores_save(
            actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {}, "track": "rural"}]
        )
    assert row(annual_period, cadre_a).track == ""


def test_a_cadre_keeps_a_track_deactivated_after_it_was_assigned(staff, annual_period, cadre_a):
    scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {}, "track": "rural"}]
    )
    deactivate("rural")
    # the grid posts the track it shows with the scores: keeping it is no new assignment
    scores_save(
        actor=staff,
        period=annual_period,
        entries=[{"cadre": cadre_a, "scores": {"德": 80}, "track": "rural"}],
    )
    assert (row(annual_period, cadre_a).track, row(annual_period, cadre_a).scores) == ("rural", {"德": 80})


def test_a_track_added_as_data_can_be_assigned(staff, annual_period, cadre_a):
    RaceTrack.objects.create(code="ecology", name="生态保护", order=5)
    scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {}, "track": "ecology"}]
    )
    assert row(annual_period, cadre_a).track == "ecology"


def test_an_indicator_of_another_track_is_named_by_the_tracks_current_names(staff, annual_period, cadre_a):
    scheme_save(
        actor=staff,
        scheme=annual_period.scheme,
        indicators=[ind("德", 70), ind("振兴", 30, group="individual", track="rural")],
    )
    RaceTrack.objects.filter(code="project").update(name="重点项目建设")
    scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {}, "track": "project"}]
    )
    with pytest.raises(ValidationError) as caught:
        scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"振兴": 80}}])
    assert caught.value.messages == ["指标“振兴”只适用于“乡村振兴”赛道，该干部的赛道为“重点项目建设”。"]


# ---------------------------------------------------------------- schemes


def test_a_scheme_cannot_take_up_an_inactive_track(staff, annual_period):
    deactivate("project")
    with pytest.raises(ValidationError) as caught:
        scheme_save(
            actor=staff,
            scheme=annual_period.scheme,
            indicators=[ind("德", 70), ind("项目", 30, group="individual", track="project")],
        )
    assert caught.value.message_dict["1"] == ["指标“项目”：赛道“项目建设”已停用，不能再用于新的指标。"]


def test_a_scheme_that_uses_a_track_deactivated_since_can_still_be_saved(staff, annual_period):
    indicators = [ind("德", 70), ind("项目", 30, group="individual", track="project")]
    scheme_save(actor=staff, scheme=annual_period.scheme, indicators=indicators)
    deactivate("project")
    scheme_save(actor=staff, scheme=annual_period.scheme, indicators=[ind("德", 70), *indicators[1:]])
    assert annual_period.scheme.indicators.filter(track="project").count() == 1


def test_the_weights_message_names_the_track(staff, annual_period):
    with pytest.raises(ValidationError) as caught:
        scheme_save(
            actor=staff,
            scheme=annual_period.scheme,
            indicators=[ind("德", 70), ind("企业", 20, group="individual", track="enterprise")],
        )
    assert caught.value.messages == ["共性指标与“为企服务”赛道个性指标权重合计为 90，应为 100。"]


# ---------------------------------------------------------------- pages


def test_the_scheme_page_offers_active_tracks_and_those_the_scheme_uses(client, staff, annual_period):
    scheme_save(
        actor=staff,
        scheme=annual_period.scheme,
        indicators=[ind("德", 70), ind("项目", 30, group="individual", track="project")],
    )
    deactivate("project")
    deactivate("governance")
    client.force_login(staff)
    page = client.get(reverse("assessment:scheme", args=[annual_period.pk])).content.decode()
    assert 'value="project"' in page and "项目建设" in page  # used by the scheme: still offered
    assert 'value="rural"' in page
    assert 'value="governance"' not in page


def test_the_grid_shows_a_read_only_track_by_name(client, users, staff, annual_period, cadre_a, tree):
    scheme_save(
        actor=staff,
        scheme=annual_period.scheme,
        indicators=[ind("德", 70), ind("振兴", 30, group="individual", track="rural")],
    )
    scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {}, "track": "rural"}]
    )
    RaceTrack.objects.filter(code="rural").update(name="乡村全面振兴")
    client.force_login(users[Role.AUDITOR])  # may not enter scores: the grid is read-only
    page = client.get(reverse("assessment:grid", args=[annual_period.pk, tree["town_a"].pk])).content.decode()
    assert "乡村全面振兴" in page and 'name="t-' not in page


# ---------------------------------------------------------------- API


def test_the_api_takes_a_track_by_its_current_name_and_shows_the_name(users, graded, cadre_a):  # noqa: F811
    RaceTrack.objects.filter(code="governance").update(name="基层社会治理")
    response = api(users[Role.STAFF]).patch(
        f"/api/v1/assessments/{row(graded, cadre_a).pk}/", {"track": "基层社会治理"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["track"] == "基层社会治理"
    assert row(graded, cadre_a).track == "governance"


def test_the_api_refuses_an_unknown_and_an_inactive_track(users, graded, cadre_a):  # noqa: F811
    client = api(users[Role.STAFF])
    url = f"/api/v1/assessments/{row(graded, cadre_a).pk}/"
    unknown = client.patch(url, {"track": "月球"}, format="json")
    assert unknown.status_code == 400 and "track" in unknown.json()["error"]["fields"]
    deactivate("rural")
    inactive = client.patch(url, {"track": "rural"}, format="json")
    assert inactive.status_code == 400
    assert "已停用" in str(inactive.json()["error"])
    assert row(graded, cadre_a).track == ""


def test_assessment_list_reads_the_tracks_once(users, tree, graded, django_assert_num_queries):  # noqa: F811
    Assessment.objects.filter(period=graded).update(track="rural")
    client = api(users[Role.API_READER])
    # count, one page joined to cadre, unit and period, the tracks' names
    with django_assert_num_queries(3):
        body = client.get("/api/v1/assessments/").json()
    assert {r["track"] for r in body["results"]} == {"乡村振兴"}
    for i in range(10):
        CadreFactory(unit=tree["town_a"], name=f"新{i}")
    Assessment.objects.bulk_create(
        Assessment(period=graded, cadre=c, unit=c.unit, track="project")
        for c in CadreFactory._meta.model.objects.filter(name__startswith="新")
    )
    with django_assert_num_queries(3):
        assert client.get("/api/v1/assessments/").json()["count"] == 15
