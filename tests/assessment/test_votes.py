"""民主测评 vote counts: the model's total and share, the checks, and each way in (the scores
service, the grid, the API, the Excel import)."""

import io
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from rest_framework.test import APIClient

from accounts.roles import Role
from assessment.models import VOTE_NAMES, Assessment, ImportStatus, PeriodStatus, votes_share
from assessment.services.imports import annotated_sheet, import_commit, import_validate
from assessment.services.periods import period_transition
from assessment.services.scores import assessment_correct, scores_save
from assessment.votes import check_votes, parse_vote, vote_delta
from audit.models import AuditEntry
from tests.factories import CadreFactory

CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
FULL = dict.fromkeys(CODES, 90)
VOTE_HEADERS = ["优秀票", "称职票", "基本称职票", "不称职票", "弃权票"]


def counts(*values) -> dict:
    return dict(zip(VOTE_NAMES, values, strict=True))


def stored(period, cadre) -> tuple:
    a = Assessment.objects.get(period=period, cadre=cadre)
    return tuple(getattr(a, name) for name in VOTE_NAMES)


def audit_of(period, cadre):
    pk = Assessment.objects.get(period=period, cadre=cadre).pk
    return AuditEntry.objects.filter(model="assessment.assessment", object_id=str(pk)).order_by("id")


# ---------------------------------------------------------------- the model


def test_an_assessment_without_votes_has_no_total_and_no_share(annual_period, cadre_a):
    a = Assessment.objects.get(period=annual_period, cadre=cadre_a)
    assert (a.votes, a.votes_total, a.votes_incompetent_share) == (None, None, None)


def test_the_share_counts_abstentions_in_the_total_and_is_exact():
    a = Assessment(**counts(10, 5, 3, 10, 2))
    assert a.votes_total == 30
    assert a.votes_incompetent_share == Fraction(1, 3)  # not 0.333…: "more than a third" is exact
    assert not a.votes_incompetent_share > Fraction(1, 3)


def test_zero_votes_cast_give_a_total_of_zero_and_no_share():
    a = Assessment(**counts(0, 0, 0, 0, 0))
    assert (a.votes_total, a.votes_incompetent_share) == (0, None)
    assert votes_share(None, 10) is None


def test_the_database_refuses_part_of_the_votes(annual_period, cadre_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(period=annual_period, cadre=cadre_a).update(votes_incompetent=3)


# ---------------------------------------------------------------- parse_vote / check_votes


@pytest.mark.parametrize(
    ("value", "count"),
    [(0, 0), ("0", 0), (12, 12), (12.0, 12), ("12", 12), (" １２ ", 12), ("12.0", 12), (Decimal("7"), 7)],
)
def test_a_count_is_a_whole_number_in_any_of_its_forms(value, count):
    assert parse_vote(value) == (count, None)


@pytest.mark.parametrize("value", [None, "", "  "])
def test_a_blank_count_is_none(value):
    assert parse_vote(value) == (None, None)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (-1, "是负数；票数应为 0 或正整数"),
        ("-1", "是负数；票数应为 0 或正整数"),
        (1.5, "不是整数；票数应为 0 或正整数"),
        ("1.5", "不是整数；票数应为 0 或正整数"),
        (Decimal("0.5"), "不是整数；票数应为 0 或正整数"),
        ("abc", "不是数字；票数应为 0 或正整数"),
        ("1e2", "不是数字；票数应为 0 或正整数"),
        (True, "不是数字；票数应为 0 或正整数"),
        (float("nan"), "不是数字；票数应为 0 或正整数"),
        (Decimal("Infinity"), "不是数字；票数应为 0 或正整数"),
        (2**31, "超出票数上限"),
    ],
)
def test_a_count_that_is_not_a_whole_number_from_zero_up_is_refused(value, problem):
    assert parse_vote(value) == (None, problem)


def test_check_votes_names_the_field_in_the_message_and_the_code():
    old = (None,) * 5
    new, [problem] = check_votes({"votes_incompetent": "-2"}, old)
    assert new == old
    assert problem.code == "votes_incompetent"
    assert problem.messages == ["民主测评不称职票的值“-2”是负数；票数应为 0 或正整数。"]


def test_check_votes_wants_all_five_or_none():
    new, [problem] = check_votes(counts(1, 2, 3, None, None), (None,) * 5)
    assert problem.code == "votes_incompetent"  # the first one missing
    assert problem.messages == ["民主测评票数应五项都填写（没有的填 0）或都不填：缺少不称职票、弃权票。"]
    assert check_votes(counts(*[None] * 5), (1, 2, 3, 4, 5)) == ((None,) * 5, [])


def test_check_votes_keeps_the_counts_left_out():
    assert check_votes({"votes_abstain": 0}, (1, 2, 3, 4, 5)) == ((1, 2, 3, 4, 0), [])


def test_check_votes_refuses_what_is_not_a_dict_or_not_a_vote_field():
    _, [problem] = check_votes([1, 2], (None,) * 5)
    assert problem.messages == ["民主测评票数格式不正确。"]
    _, [problem] = check_votes({"votes_spoiled": 1}, (None,) * 5)
    assert problem.messages == ["未知的票数项“votes_spoiled”。"]


def test_vote_delta_lists_only_the_counts_that_changed():
    assert vote_delta((1, 2, 3, 4, 5), (1, 2, 3, 6, 5)) == {"votes_incompetent": [4, 6]}


# ---------------------------------------------------------------- scores_save


def test_votes_are_saved_with_scores_and_audited(staff, annual_period, cadre_a):
    scores_save(
        actor=staff,
        period=annual_period,
        entries=[{"cadre": cadre_a, "scores": FULL, "votes": counts(10, 20, "5", 3, 2)}],
    )
    assert stored(annual_period, cadre_a) == (10, 20, 5, 3, 2)
    [entry] = audit_of(annual_period, cadre_a)
    assert entry.changes["votes_incompetent"] == [None, 3]
    assert entry.changes["scores"][1] == FULL


def test_votes_alone_create_the_record_of_a_cadre_without_one(staff, annual_period, tree):
    newcomer = CadreFactory(unit=tree["town_a"], name="王五")
    result = scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": newcomer, "votes": counts(1, 1, 1, 1, 1)}]
    )
    assert result["created"] == 1
    assert stored(annual_period, newcomer) == (1, 1, 1, 1, 1)
    assert audit_of(annual_period, newcomer).get().changes["votes_excellent"] == [None, 1]


def test_an_entry_without_votes_keeps_the_stored_counts(staff, annual_period, cadre_a):
    scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "votes": counts(1, 2, 3, 4, 5)}]
    )
    scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "scores": {"德": 80}}])
    assert stored(annual_period, cadre_a) == (1, 2, 3, 4, 5)


def test_changing_one_count_keeps_the_others_and_audits_only_it(staff, annual_period, cadre_a):
    scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "votes": counts(1, 2, 3, 4, 5)}]
    )
    result = scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "votes": {"votes_incompetent": 0}}]
    )
    assert result["updated"] == 1
    assert stored(annual_period, cadre_a) == (1, 2, 3, 0, 5)
    assert audit_of(annual_period, cadre_a).last().changes == {"votes_incompetent": [4, 0]}


def test_the_same_counts_again_change_nothing(staff, annual_period, cadre_a):
    scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "votes": counts(1, 2, 3, 4, 5)}]
    )
    result = scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "votes": counts("1", 2, 3, 4, 5)}]
    )
    assert (result["updated"], result["unchanged"]) == (0, 1)
    assert audit_of(annual_period, cadre_a).count() == 1


def test_five_blanks_clear_the_votes(staff, annual_period, cadre_a):
    scores_save(
        actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "votes": counts(1, 2, 3, 4, 5)}]
    )
    scores_save(actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "votes": counts(*[""] * 5)}])
    assert stored(annual_period, cadre_a) == (None,) * 5


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "民主测评不称职票的值“-1”是负数；票数应为 0 或正整数。"),
        ("1.5", "民主测评不称职票的值“1.5”不是整数；票数应为 0 或正整数。"),
        ("三", "民主测评不称职票的值“三”不是数字；票数应为 0 或正整数。"),
    ],
)
def test_a_bad_count_refuses_the_whole_save(staff, annual_period, cadre_a, tree, value, message):
    other = CadreFactory(unit=tree["town_a"], name="王五")
    with pytest.raises(ValidationError) as caught:
        scores_save(
            actor=staff,
            period=annual_period,
            entries=[
                {"cadre": other, "scores": FULL, "votes": counts(1, 1, 1, 1, 1)},
                {"cadre": cadre_a, "scores": FULL, "votes": counts(1, 2, 3, value, 5)},
            ],
        )
    assert caught.value.message_dict == {str(cadre_a.pk): [message]}
    assert not Assessment.objects.filter(cadre=other).exists()
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == {}


def test_part_of_the_votes_is_refused_naming_the_missing_ones(staff, annual_period, cadre_a):
    with pytest.raises(ValidationError) as caught:
        scores_save(
            actor=staff, period=annual_period, entries=[{"cadre": cadre_a, "votes": {"votes_incompetent": 3}}]
        )
    [message] = caught.value.message_dict[str(cadre_a.pk)]
    assert (
        message == "民主测评票数应五项都填写（没有的填 0）或都不填：缺少优秀票、称职票、基本称职票、弃权票。"
    )


def test_votes_of_a_cadre_outside_the_scope_are_refused_like_scores(users, annual_period, cadre_b):
    with pytest.raises(ValidationError) as caught:
        scores_save(
            actor=users[Role.STAFF],
            period=annual_period,
            entries=[{"cadre": cadre_b, "votes": counts(1, 1, 1, 1, 1)}],
        )
    assert caught.value.message_dict == {str(cadre_b.pk): ["该干部不在您的管辖范围内。"]}
    assert stored(annual_period, cadre_b) == (None,) * 5


def test_roles_that_may_not_enter_scores_may_not_enter_votes(users, annual_period, cadre_a):
    with pytest.raises(PermissionDenied):
        scores_save(
            actor=users[Role.AUDITOR],
            period=annual_period,
            entries=[{"cadre": cadre_a, "votes": counts(1, 1, 1, 1, 1)}],
        )


def test_votes_cost_no_extra_query(staff, annual_period, tree):
    """The stored counts come with the rows (one query), not one query per row."""
    people = [CadreFactory(unit=tree["town_a"]) for _ in range(5)]
    scores_save(actor=staff, period=annual_period, entries=[{"cadre": p, "scores": FULL} for p in people])

    def queries(entries):
        with CaptureQueriesContext(connection) as ctx:
            scores_save(actor=staff, period=annual_period, entries=entries)
        return len(ctx.captured_queries)

    with_scores = queries([{"cadre": p, "scores": {"德": 70}} for p in people])
    with_votes = queries([{"cadre": p, "scores": {"德": 60}, "votes": counts(1, 2, 3, 4, 5)} for p in people])
    assert with_votes == with_scores
    assert all(stored(annual_period, p) == (1, 2, 3, 4, 5) for p in people)


# ---------------------------------------------------------------- corrections of a published result


@pytest.fixture
def published(users, annual_period, cadre_a):
    scores_save(
        actor=users[Role.STAFF],
        period=annual_period,
        entries=[{"cadre": cadre_a, "scores": FULL, "votes": counts(10, 10, 5, 3, 2)}],
    )
    period = period_transition(actor=users[Role.STAFF], period=annual_period, to=PeriodStatus.GRADING)
    return period_transition(actor=users[Role.HEAD], period=period, to=PeriodStatus.PUBLISHED)


def test_a_published_results_votes_are_corrected_with_a_reason_in_the_audit_trail(users, published, cadre_a):
    a = Assessment.objects.get(period=published, cadre=cadre_a)
    assessment_correct(
        actor=users[Role.STAFF], assessment=a, reason="不称职票录入错误", votes={"votes_incompetent": 13}
    )
    assert stored(published, cadre_a) == (10, 10, 5, 13, 2)
    entry = audit_of(published, cadre_a).last()
    assert entry.changes["votes_incompetent"] == [3, 13]
    assert "更正：不称职票录入错误" in entry.reason


def test_a_correction_with_a_bad_count_is_refused_on_that_field(users, published, cadre_a):
    a = Assessment.objects.get(period=published, cadre=cadre_a)
    with pytest.raises(ValidationError) as caught:
        assessment_correct(actor=users[Role.STAFF], assessment=a, reason="x", votes={"votes_basic": -5})
    assert caught.value.message_dict == {
        "votes_basic": ["民主测评基本称职票的值“-5”是负数；票数应为 0 或正整数。"]
    }
    assert stored(published, cadre_a) == (10, 10, 5, 3, 2)


# ---------------------------------------------------------------- the grid


def grid_url(period, unit):
    return reverse("assessment:grid", args=[period.pk, unit.pk])


def vote_inputs(cadre, *values) -> dict:
    return {f"v-{cadre.pk}-{i}": str(v) for i, v in enumerate(values)}


def test_the_annual_grid_has_five_vote_inputs_per_cadre(client, users, tree, annual_period, cadre_a):
    client.force_login(users[Role.STAFF])
    text = client.get(grid_url(annual_period, tree["town_a"])).content.decode()
    assert text.count('inputmode="numeric"') == 5
    assert all(f'name="v-{cadre_a.pk}-{i}"' in text for i in range(5))
    assert "不称职票" in text and 'aria-label="张三 民主测评不称职票"' in text


def test_a_quarterly_grid_has_no_vote_inputs(client, users, tree, quarter_period, cadre_a):
    period_transition(actor=users["city_staff"], period=quarter_period, to=PeriodStatus.COLLECTING)
    client.force_login(users[Role.STAFF])
    text = client.get(grid_url(quarter_period, tree["town_a"])).content.decode()
    assert "张三" in text and 'inputmode="numeric"' not in text and "弃权票" not in text


def test_the_grid_saves_votes(client, users, tree, annual_period, cadre_a):
    client.force_login(users[Role.COUNTY_ADMIN])
    response = client.post(
        grid_url(annual_period, tree["town_a"]), vote_inputs(cadre_a, 10, 20, 5, 0, 1), follow=True
    )
    assert "新增 0 人，修改 1 人" in response.content.decode()
    assert stored(annual_period, cadre_a) == (10, 20, 5, 0, 1)
    text = client.get(grid_url(annual_period, tree["town_a"])).content.decode()
    assert f'name="v-{cadre_a.pk}-1" value="20"' in text


def test_a_bad_vote_cell_is_highlighted_with_its_message_and_nothing_is_saved(
    client, users, tree, annual_period, cadre_a
):
    client.force_login(users[Role.STAFF])
    data = {f"s-{cadre_a.pk}-0": "88", **vote_inputs(cadre_a, 10, 20, 5, "-1", 1)}
    response = client.post(grid_url(annual_period, tree["town_a"]), data)
    text = response.content.decode()
    assert response.status_code == 200
    assert 'title="民主测评不称职票的值“-1”是负数；票数应为 0 或正整数。"' in text
    assert f'name="v-{cadre_a.pk}-3" value="-1"' in text  # the typed value is kept
    assert text.count("is-invalid") == 1
    assert stored(annual_period, cadre_a) == (None,) * 5
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == {}


def test_part_of_the_votes_in_the_grid_marks_the_first_missing_cell(
    client, users, tree, annual_period, cadre_a
):
    client.force_login(users[Role.STAFF])
    response = client.post(grid_url(annual_period, tree["town_a"]), vote_inputs(cadre_a, 10, 20, 5, "", ""))
    text = response.content.decode()
    assert "缺少不称职票、弃权票" in text
    assert f'name="v-{cadre_a.pk}-3" value="" data-min="0"' in text.replace(' is-invalid"', '"')
    assert 'aria-invalid="true" title="民主测评票数应五项都填写' in text
    assert stored(annual_period, cadre_a) == (None,) * 5


def test_the_result_page_shows_the_votes_total_and_share(client, users, annual_period, cadre_a):
    scores_save(
        actor=users[Role.STAFF],
        period=annual_period,
        entries=[{"cadre": cadre_a, "votes": counts(10, 5, 3, 10, 2)}],
    )
    a = Assessment.objects.get(period=annual_period, cadre=cadre_a)
    client.force_login(users[Role.STAFF])
    text = client.get(reverse("assessment:assessment_detail", args=[a.pk])).content.decode()
    assert "民主测评票数" in text and "33.3%" in text and ">30<" in text


# ---------------------------------------------------------------- the API


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_reads_the_votes_with_total_and_share(users, annual_period, cadre_a):
    scores_save(
        actor=users[Role.STAFF],
        period=annual_period,
        entries=[{"cadre": cadre_a, "votes": counts(10, 5, 3, 10, 2)}],
    )
    a = Assessment.objects.get(period=annual_period, cadre=cadre_a)
    body = api(users[Role.API_READER]).get(f"/api/v1/assessments/{a.pk}/").json()
    assert {k: body[k] for k in VOTE_NAMES} == counts(10, 5, 3, 10, 2)
    assert (body["votes_total"], body["votes_incompetent_share"]) == (30, 0.3333)


def test_the_api_reads_null_without_votes(users, annual_period, cadre_a):
    a = Assessment.objects.get(period=annual_period, cadre=cadre_a)
    body = api(users[Role.API_READER]).get(f"/api/v1/assessments/{a.pk}/").json()
    assert [body[k] for k in [*VOTE_NAMES, "votes_total", "votes_incompetent_share"]] == [None] * 7


def test_patch_writes_the_votes_and_changes_only_the_named_ones(users, annual_period, cadre_a):
    a = Assessment.objects.get(period=annual_period, cadre=cadre_a)
    client = api(users[Role.COUNTY_ADMIN])
    response = client.patch(f"/api/v1/assessments/{a.pk}/", counts(10, 20, 5, 3, 2), format="json")
    assert response.status_code == 200 and response.json()["votes_total"] == 40
    response = client.patch(f"/api/v1/assessments/{a.pk}/", {"votes_abstain": 0}, format="json")
    assert response.status_code == 200
    assert stored(annual_period, cadre_a) == (10, 20, 5, 3, 0)
    assert audit_of(annual_period, cadre_a).last().reason == "接口录入"


def test_patch_with_five_nulls_clears_the_votes(users, annual_period, cadre_a):
    a = Assessment.objects.get(period=annual_period, cadre=cadre_a)
    client = api(users[Role.STAFF])
    client.patch(f"/api/v1/assessments/{a.pk}/", counts(1, 2, 3, 4, 5), format="json")
    response = client.patch(f"/api/v1/assessments/{a.pk}/", counts(*[None] * 5), format="json")
    assert response.status_code == 200 and response.json()["votes_total"] is None
    assert stored(annual_period, cadre_a) == (None,) * 5


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-3, "民主测评不称职票的值“-3”是负数；票数应为 0 或正整数。"),
        (1.5, "民主测评不称职票的值“1.5”不是整数；票数应为 0 或正整数。"),
        ("many", "民主测评不称职票的值“many”不是数字；票数应为 0 或正整数。"),
    ],
)
def test_a_bad_count_is_a_400_on_its_field_and_nothing_is_written(
    users, annual_period, cadre_a, value, message
):
    a = Assessment.objects.get(period=annual_period, cadre=cadre_a)
    response = api(users[Role.STAFF]).patch(
        f"/api/v1/assessments/{a.pk}/", {"scores": {"德": 80}, **counts(1, 2, 3, value, 5)}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["fields"]) == ("invalid", {"votes_incompetent": [message]})
    assert error["message"] == f"提交的数据有误：{message}"
    assert Assessment.objects.get(pk=a.pk).scores == {} and stored(annual_period, cadre_a) == (None,) * 5


def test_a_bad_score_and_a_bad_count_are_each_under_their_field(users, annual_period, cadre_a):
    a = Assessment.objects.get(period=annual_period, cadre=cadre_a)
    response = api(users[Role.STAFF]).patch(
        f"/api/v1/assessments/{a.pk}/", {"scores": {"德": 120}, **counts(1, 2, 3, -1, 5)}, format="json"
    )
    assert response.json()["error"]["fields"] == {
        "scores": ["指标“德”的得分 120 超出范围（0–100）。"],
        "votes_incompetent": ["民主测评不称职票的值“-1”是负数；票数应为 0 或正整数。"],
    }


def test_part_of_the_votes_is_a_400_on_the_first_missing_field(users, annual_period, cadre_a):
    a = Assessment.objects.get(period=annual_period, cadre=cadre_a)
    response = api(users[Role.STAFF]).patch(
        f"/api/v1/assessments/{a.pk}/", {"votes_incompetent": 3}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "votes_excellent": [
            "民主测评票数应五项都填写（没有的填 0）或都不填：缺少优秀票、称职票、基本称职票、弃权票。"
        ]
    }


def test_post_enters_scores_and_votes_of_one_cadre(users, annual_period, cadre_a):
    response = api(users[Role.STAFF]).post(
        "/api/v1/assessments/",
        {"period": annual_period.pk, "cadre": cadre_a.pk, "scores": {"德": 90}, **counts(1, 2, 3, 4, 0)},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["votes_incompetent_share"] == 0.4
    assert stored(annual_period, cadre_a) == (1, 2, 3, 4, 0)


def test_a_published_results_votes_are_patched_only_as_a_correction(users, published, cadre_a):
    a = Assessment.objects.get(period=published, cadre=cadre_a)
    client = api(users[Role.STAFF])
    refused = client.patch(f"/api/v1/assessments/{a.pk}/", {"votes_incompetent": 4}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"]
    corrected = client.patch(
        f"/api/v1/assessments/{a.pk}/", {"votes_incompetent": 4, "reason": "复核计票"}, format="json"
    )
    assert corrected.status_code == 200 and corrected.json()["votes_incompetent"] == 4
    bad = client.patch(
        f"/api/v1/assessments/{a.pk}/", {"votes_incompetent": -4, "reason": "x"}, format="json"
    )
    assert bad.status_code == 400 and list(bad.json()["error"]["fields"]) == ["votes_incompetent"]


def test_the_schema_documents_the_vote_fields(users):
    response = api(users[Role.STAFF]).get("/api/schema/", {"format": "json"})
    schema = response.json()
    props = schema["components"]["schemas"]["Assessment"]["properties"]
    assert props["votes_incompetent"]["type"] == "integer" and props["votes_incompetent"]["minimum"] == 0
    assert props["votes_incompetent"]["nullable"] is True
    assert props["votes_total"]["readOnly"] is True
    assert props["votes_incompetent_share"]["readOnly"] is True
    patch = schema["paths"]["/api/v1/assessments/{id}/"]["patch"]
    assert "votes_abstain" in patch["description"]
    assert "PatchedAssessment" in str(patch["requestBody"])


def test_the_assessment_list_still_takes_two_queries(
    users, annual_period, cadre_a, django_assert_num_queries
):
    scores_save(
        actor=users[Role.STAFF],
        period=annual_period,
        entries=[{"cadre": cadre_a, "votes": counts(1, 2, 3, 4, 5)}],
    )
    client = api(users[Role.STAFF])
    # the count, the page of assessments with their cadres, units and periods (the votes are columns)
    with django_assert_num_queries(2):
        body = client.get("/api/v1/assessments/", {"period": annual_period.pk}).json()
    assert body["results"][0]["votes_total"] == 15


# ---------------------------------------------------------------- the Excel import

HEADER = ["序号", "姓名", "身份证号", "单位", "职务", *CODES, "备注"]


def sheet(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["2025年度考核量化评分表"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def line(cadre, scores=90, votes=()) -> list:
    return [1, cadre.name, cadre.id_number, "", "", *[scores] * len(CODES), "", *votes]


def validate(actor, period, data, name="评分表.xlsx"):
    return import_validate(actor=actor, period=period, data=data, filename=name)


def test_a_sheet_with_vote_columns_imports_the_votes(users, annual_period, cadre_a):
    admin = users[Role.COUNTY_ADMIN]
    batch = validate(
        admin, annual_period, sheet([line(cadre_a, votes=(10, 20, 5, 3, 2))], [*HEADER, *VOTE_HEADERS])
    )
    assert batch.status == ImportStatus.VALIDATED
    changes = {c["column"]: (c["old"], c["new"]) for c in batch.preview["rows"][0]["changes"]}
    assert changes["不称职票"] == ("", "3") and changes["德"] == ("", "90")
    batch = import_commit(actor=admin, batch=batch)
    assert batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == (10, 20, 5, 3, 2)
    entry = audit_of(annual_period, cadre_a).get()
    assert entry.changes["votes_abstain"] == [None, 2] and entry.batch == f"import:{batch.pk}"


def test_a_sheet_changing_only_votes_updates_them(users, annual_period, cadre_a):
    admin = users[Role.COUNTY_ADMIN]
    scores_save(
        actor=admin,
        period=annual_period,
        entries=[{"cadre": cadre_a, "scores": FULL, "votes": counts(1, 2, 3, 4, 5)}],
    )
    batch = validate(
        admin, annual_period, sheet([line(cadre_a, votes=(1, 2, 3, 6, 5))], [*HEADER, *VOTE_HEADERS])
    )
    assert (batch.rows_changed, batch.rows_unchanged) == (1, 0)
    assert batch.preview["rows"][0]["changes"] == [
        {"code": "votes_incompetent", "column": "不称职票", "old": "4", "new": "6"}
    ]
    import_commit(actor=admin, batch=batch)
    assert stored(annual_period, cadre_a) == (1, 2, 3, 6, 5)
    assert audit_of(annual_period, cadre_a).last().changes == {"votes_incompetent": [4, 6]}


def test_a_sheet_without_vote_columns_keeps_the_stored_votes(users, annual_period, cadre_a):
    admin = users[Role.COUNTY_ADMIN]
    scores_save(
        actor=admin, period=annual_period, entries=[{"cadre": cadre_a, "votes": counts(1, 2, 3, 4, 5)}]
    )
    batch = import_commit(
        actor=admin, batch=validate(admin, annual_period, sheet([line(cadre_a, scores=70)]))
    )
    assert batch.status == ImportStatus.COMMITTED
    assert Assessment.objects.get(period=annual_period, cadre=cadre_a).scores == dict.fromkeys(CODES, 70)
    assert stored(annual_period, cadre_a) == (1, 2, 3, 4, 5)


def test_blank_vote_cells_keep_the_stored_votes(users, annual_period, cadre_a):
    admin = users[Role.COUNTY_ADMIN]
    scores_save(
        actor=admin, period=annual_period, entries=[{"cadre": cadre_a, "votes": counts(1, 2, 3, 4, 5)}]
    )
    data = sheet([line(cadre_a, votes=(None, None, None, None, None))], [*HEADER, *VOTE_HEADERS])
    import_commit(actor=admin, batch=validate(admin, annual_period, data))
    assert stored(annual_period, cadre_a) == (1, 2, 3, 4, 5)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (-1, "“不称职票”列的值“-1”是负数；票数应为 0 或正整数。"),
        (1.5, "“不称职票”列的值“1.5”不是整数；票数应为 0 或正整数。"),
        ("三票", "“不称职票”列的值“三票”不是数字。"),
    ],
)
def test_a_bad_vote_cell_is_an_error_naming_the_cell_and_nothing_is_written(
    users, annual_period, cadre_a, tree, cell, message
):
    admin = users[Role.COUNTY_ADMIN]
    other = CadreFactory(unit=tree["town_a"], name="王五")
    rows = [line(other, votes=(1, 1, 1, 1, 1)), line(cadre_a, votes=(10, 20, 5, cell, 2))]
    batch = validate(admin, annual_period, sheet(rows, [*HEADER, *VOTE_HEADERS]))
    assert batch.status == ImportStatus.INVALID
    assert [(e["row"], e["column"], e["col"], e["message"]) for e in batch.errors] == [
        (4, "不称职票", 15, message)
    ]
    with pytest.raises(ValidationError):
        import_commit(actor=admin, batch=batch)
    assert not Assessment.objects.filter(cadre=other).exists()
    assert stored(annual_period, cadre_a) == (None,) * 5


def test_a_sheet_with_part_of_the_vote_columns_needs_stored_votes_to_complete_them(
    users, annual_period, cadre_a
):
    admin = users[Role.COUNTY_ADMIN]
    header = [*HEADER, "民主测评不称职票"]
    batch = validate(admin, annual_period, sheet([line(cadre_a, votes=(3,))], header))
    assert [(e["row"], e["message"]) for e in batch.errors] == [
        (3, "民主测评票数应五项都填写（没有的填 0）或都不填：缺少优秀票、称职票、基本称职票、弃权票。")
    ]
    scores_save(
        actor=admin, period=annual_period, entries=[{"cadre": cadre_a, "votes": counts(1, 2, 3, 4, 5)}]
    )
    batch = import_commit(
        actor=admin, batch=validate(admin, annual_period, sheet([line(cadre_a, votes=(3,))], header))
    )
    assert batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == (1, 2, 3, 3, 5)


def test_the_commit_writes_the_sheets_votes_even_if_they_changed_after_the_preview(
    users, annual_period, cadre_a
):
    admin = users[Role.COUNTY_ADMIN]
    batch = validate(
        admin, annual_period, sheet([line(cadre_a, votes=(10, 20, 5, 3, 2))], [*HEADER, *VOTE_HEADERS])
    )
    scores_save(
        actor=admin, period=annual_period, entries=[{"cadre": cadre_a, "votes": counts(9, 9, 9, 9, 9)}]
    )
    batch = import_commit(actor=admin, batch=batch)
    assert batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == (10, 20, 5, 3, 2)


def test_the_commit_rechecks_votes_when_the_plan_is_lost(users, annual_period, cadre_a):
    admin = users[Role.COUNTY_ADMIN]
    batch = validate(
        admin, annual_period, sheet([line(cadre_a, votes=(10, 20, 5, 3, 2))], [*HEADER, *VOTE_HEADERS])
    )
    batch.plan.delete(save=True)
    batch = import_commit(actor=admin, batch=batch)
    assert batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == (10, 20, 5, 3, 2)


def test_a_csv_with_vote_columns_is_annotated_with_its_vote_cells(users, annual_period, cadre_a):
    admin = users[Role.COUNTY_ADMIN]
    header = ",".join(
        ["姓名", "身份证号", *CODES, "优秀（票）", "民主测评称职票", "基本称职票数", "不称职票", "弃权票"]
    )
    body = ",".join([cadre_a.name, cadre_a.id_number, *["90"] * 6, "1", "2", "3", "-4", "5"])
    batch = validate(admin, annual_period, f"{header}\n{body}\n".encode(), name="评分表.csv")
    assert [e["column"] for e in batch.errors] == ["不称职票"]
    ws = load_workbook(io.BytesIO(annotated_sheet(batch)))["评分表"]
    assert [ws.cell(2, c).value for c in range(9, 14)] == [1, 2, 3, -4, 5]
    assert ws.cell(2, 12).comment is not None


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the shortcut needs PostgreSQL")


def spy(monkeypatch, name) -> list:
    from assessment.services import imports as services

    calls = []
    real = getattr(services, name)
    monkeypatch.setattr(services, name, lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


@postgres_only
def test_the_commit_writes_the_previewed_votes_without_checking_every_row_again(
    users, annual_period, cadre_a, tree, monkeypatch
):
    admin = users[Role.COUNTY_ADMIN]
    other = CadreFactory(unit=tree["town_a"], name="王五")
    scores_save(actor=admin, period=annual_period, entries=[{"cadre": other, "votes": counts(1, 2, 3, 4, 5)}])
    rows = [line(cadre_a, votes=(10, 20, 5, 3, 2)), line(other, votes=(1, 2, 3, 9, 5))]
    batch = validate(admin, annual_period, sheet(rows, [*HEADER, *VOTE_HEADERS]))
    shortcut, rechecked = spy(monkeypatch, "_write_checked"), spy(monkeypatch, "scores_save")

    batch = import_commit(actor=admin, batch=batch)

    assert (shortcut, rechecked) == ([1], [])
    assert (batch.rows_new, batch.rows_changed) == (1, 1)
    assert stored(annual_period, cadre_a) == (10, 20, 5, 3, 2)
    assert stored(annual_period, other) == (1, 2, 3, 9, 5)
    assert audit_of(annual_period, other).last().changes["votes_incompetent"] == [4, 9]


@postgres_only
def test_votes_changed_after_the_preview_make_the_commit_check_every_row_again(
    users, annual_period, cadre_a, monkeypatch
):
    admin = users[Role.COUNTY_ADMIN]
    scores_save(
        actor=admin, period=annual_period, entries=[{"cadre": cadre_a, "votes": counts(1, 2, 3, 4, 5)}]
    )
    batch = validate(
        admin,
        annual_period,
        sheet([line(cadre_a, votes=(None, None, None, 6, None))], [*HEADER, *VOTE_HEADERS]),
    )
    scores_save(
        actor=admin, period=annual_period, entries=[{"cadre": cadre_a, "votes": {"votes_abstain": 0}}]
    )
    shortcut, rechecked = spy(monkeypatch, "_write_checked"), spy(monkeypatch, "scores_save")

    batch = import_commit(actor=admin, batch=batch)

    assert (shortcut, rechecked) == ([1], [1])  # tried, found the row changed, checked again
    assert batch.status == ImportStatus.COMMITTED
    assert stored(annual_period, cadre_a) == (1, 2, 3, 6, 0)  # the sheet's count, the later 弃权 kept
