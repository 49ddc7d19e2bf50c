"""``grade-reports/``: the filters clients pull by (updated_since, grade_code, kind, cadre), the
ETag of a page (304 when nothing changed; another tag when a row, the total, the scope or the
masking differs), and pages read unit by unit giving the same rows as one long page."""

# ruff: noqa: F811 (the ``report`` fixture is imported, and pytest hands it to the tests by name)

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from assessment.api import GradeReportRowSerializer
from assessment.models import Assessment, RaceTrack
from assessment.services.recompute import period_recompute
from assessment.services.scores import assessment_correct, assessment_override
from audit.models import AuditAction, AuditEntry
from cadres.models import Cadre, CadreKind
from tests.assessment.test_api import all_scores, api, grade
from tests.assessment.test_grade_reports import report, rows  # noqa: F401 (fixture)
from tests.factories import CadreFactory

URL = "/api/v1/grade-reports/"


def stamps(period) -> dict[str, datetime.datetime]:
    return dict(Assessment.objects.filter(period=period).values_list("cadre__name", "grade_changed_at"))


def iso(moment: datetime.datetime) -> str:
    return moment.isoformat().replace("+", "%2B")


# ---------------------------------------------------------------- updated_since


def test_the_recomputation_stamps_every_row_it_grades_and_none_when_nothing_changes(report):
    before = stamps(report)
    assert all(before.values())
    period_recompute(period_id=report.pk)
    assert stamps(report) == before


def test_updated_since_includes_a_row_changed_exactly_then_and_not_a_microsecond_later(
    users, report, cadre_a
):
    actor = users["city_staff"]
    assessment_override(
        actor=actor, assessment=Assessment.objects.get(cadre=cadre_a), grade="称职", reason="复核后调整"
    )
    changed = Assessment.objects.get(cadre=cadre_a).grade_changed_at
    assert changed > max(t for name, t in stamps(report).items() if name != "张三")
    client = api(actor)
    assert [r["name"] for r in rows(client, f"period={report.pk}&updated_since={iso(changed)}")] == ["张三"]
    later = changed + datetime.timedelta(microseconds=1)
    assert rows(client, f"period={report.pk}&updated_since={iso(later)}") == []


def test_updated_since_follows_a_recomputation_that_changes_ranks(users, report, tree):
    """A new top scorer in 甲镇 moves every rank there: those rows and the newcomer's change,
    甲县's own row and 乙镇's do not."""
    actor = users["city_staff"]
    mark = timezone.now()
    newcomer = CadreFactory(unit=tree["town_a"], name="新人")
    Assessment.objects.create(period=report, cadre=newcomer, unit=tree["town_a"])
    grade(actor, report, {newcomer: all_scores(99)})
    names = {r["name"] for r in rows(api(actor), f"period={report.pk}&updated_since={iso(mark)}")}
    assert names == {"新人", "张三", "甲0", "甲1", "甲2", "甲3"}


def test_a_correction_of_a_published_grade_is_stamped(users, report, cadre_b):
    from tests.assessment.test_api import publish

    publish(users[Role.HEAD], report)
    mark = timezone.now()
    assessment_correct(
        actor=users["city_staff"],
        assessment=Assessment.objects.get(cadre=cadre_b),
        reason="更正",
        grade="基本称职",
    )
    found = rows(api(users["city_staff"]), f"period={report.pk}&updated_since={iso(mark)}")
    assert [r["name"] for r in found] == ["李四"]


@pytest.mark.parametrize(
    "value, included",
    [
        ("2000-01-01", True),  # a date: its midnight, Beijing time
        ("2000-01-01T08:00:00", True),  # no offset: Beijing time
        ("2000-01-01T00:00:00+08:00", True),
        ("2000-01-01T00:00:00 08:00", True),  # the + of an unencoded query arrives as a space
        ("2000-01-01T00:00:00Z", True),
        ("2999-01-01", False),
    ],
)
def test_updated_since_reads_dates_and_times_with_or_without_an_offset(value, included, users, report):
    found = rows(api(users["city_staff"]), f"period={report.pk}&updated_since={value}")
    assert (len(found) == 7) is included and (found == []) is not included


def test_an_unreadable_updated_since_is_a_400_naming_the_field(users, report):
    response = api(users["city_staff"]).get(f"{URL}?period={report.pk}&updated_since=昨天")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["updated_since"] == [
        "无效的时间“昨天”，应如 2025-06-01T08:00:00+08:00 或 2025-06-01。"
    ]


# ---------------------------------------------------------------- grade_code, kind, cadre


def test_grade_code_keeps_that_code_and_an_unknown_one_is_a_400(users, report):
    client = api(users["city_staff"])
    assert [r["name"] for r in rows(client, f"period={report.pk}&grade_code=1")] == ["张三"]
    assert {r["grade_code"] for r in rows(client, f"period={report.pk}&grade_code=2")} == {2}
    assert rows(client, f"period={report.pk}&grade_code=4") == []
    for bad in ("7", "x"):
        response = client.get(f"{URL}?period={report.pk}&grade_code={bad}")
        assert response.status_code == 400
        assert "grade_code" in response.json()["error"]["fields"]


def test_kind_takes_the_code_or_the_label(users, report, cadre_a):
    Cadre.objects.update(kind=CadreKind.GENERAL)
    Cadre.objects.filter(pk=cadre_a.pk).update(kind=CadreKind.LEADER_KE)
    client = api(users["city_staff"])
    for value in ("leader_ke", "领导干部（科级）"):
        assert [r["name"] for r in rows(client, f"period={report.pk}&kind={value}")] == ["张三"]
    assert "张三" not in {r["name"] for r in rows(client, f"period={report.pk}&kind=general")}
    assert client.get(f"{URL}?period={report.pk}&kind=处长").status_code == 400


def test_cadre_filter_gives_the_one_row_and_nothing_outside_scope(users, report, cadre_a, cadre_b):
    admin = api(users[Role.COUNTY_ADMIN])  # 甲县
    assert [r["name"] for r in rows(admin, f"period={report.pk}&cadre={cadre_a.pk}")] == ["张三"]
    # 李四 is in 乙县: as if he did not exist, like any other filter that matches nothing
    body = admin.get(f"{URL}?period={report.pk}&cadre={cadre_b.pk}").json()
    assert (body["count"], body["results"]) == (0, [])
    assert rows(admin, f"period={report.pk}&cadre=999999") == []
    assert admin.get(f"{URL}?period={report.pk}&cadre=abc").status_code == 400


# ---------------------------------------------------------------- pages read unit by unit


def test_pages_of_every_size_join_up_to_the_whole_report_across_unit_boundaries(users, report, tree):
    for i in range(7):
        CadreFactory(unit=tree["town_b"], name=f"乙{i}")
    for cadre in tree["town_b"].cadres.exclude(assessments__period=report):
        Assessment.objects.create(period=report, cadre=cadre, unit=tree["town_b"])
    client = api(users["city_staff"])
    whole = rows(client, f"period={report.pk}&page_size=500")
    assert len(whole) == 14
    for size in (1, 2, 3, 5, 13):
        joined, page = [], 1
        while True:
            body = client.get(f"{URL}?period={report.pk}&page_size={size}&page={page}").json()
            assert body["count"] == 14
            joined += body["results"]
            if body["next"] is None:
                break
            page += 1
        assert joined == whole, size
    assert client.get(f"{URL}?period={report.pk}&page_size=5&page=4").status_code == 404


def test_a_row_is_what_the_documented_serializer_gives(users, report, cadre_a):
    RaceTrack.objects.update_or_create(code="rural", defaults={"name": "乡村振兴"})
    Assessment.objects.filter(cadre=cadre_a).update(track="rural")
    row = rows(api(users[Role.API_READER]), f"period={report.pk}&cadre={cadre_a.pk}")[0]
    stored = (
        Assessment.objects.filter(cadre=cadre_a)
        .values("id", "cadre_id", "unit_id", "unit__name", "cadre__name", "track", "total_score")
        .get()
    )
    obj = Assessment.objects.select_related("cadre", "unit").get(cadre=cadre_a)
    expected = GradeReportRowSerializer(
        {
            **stored,
            "unit_label": "甲镇",
            "cadre__id_number": obj.cadre.id_number,
            "rank_in_unit": obj.rank_in_unit,
            "final_grade": obj.final_grade,
            "grade_code": obj.grade_code,
            "review_required": obj.review_required,
            "explanation": obj.explanation,
        },
        context={"full_id_numbers": False},
    ).data
    assert row == {**expected, "total_score": float(expected["total_score"])}
    assert row["track"] == "乡村振兴"


# ---------------------------------------------------------------- ETag


def page(client, query="", etag=None):
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(f"{URL}?{query}", **headers)


def test_an_unchanged_page_answers_304_without_a_body_and_a_changed_one_200(users, report, cadre_a):
    client = api(users["city_staff"])
    query = f"period={report.pk}&page_size=2"
    first = page(client, query)
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    again = page(client, query, etag)
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    for header in (f"W/{etag}", f'"other", {etag}', "*"):
        assert page(client, query, header).status_code == 304
    assessment_override(
        actor=users["city_staff"],
        assessment=Assessment.objects.get(cadre=cadre_a),
        grade="称职",
        reason="调整",
    )
    changed = page(client, query, etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_the_etag_changes_when_a_name_on_the_page_changes(users, report, cadre_a):
    client = api(users["city_staff"])
    query = f"period={report.pk}&page_size=2"
    etag = page(client, query)["ETag"]
    cadre_a.name = "张三丰"
    cadre_a.save(update_fields=["name"])
    assert page(client, query, etag).status_code == 200


def test_the_etag_changes_when_only_the_total_changes(users, report, tree):
    """Page 1 (甲县, 张三) stays the same; a cadre added in 乙镇 changes the count."""
    client = api(users["city_staff"])
    query = f"period={report.pk}&page_size=2"
    before = page(client, query)
    newcomer = CadreFactory(unit=tree["town_b"], name="乙新")
    Assessment.objects.create(period=report, cadre=newcomer, unit=tree["town_b"])
    after = page(client, query, before["ETag"])
    assert after.status_code == 200
    assert after.json()["results"] == before.json()["results"]
    assert after.json()["count"] == before.json()["count"] + 1


def test_the_etag_differs_with_the_masking_and_with_the_scope(users, report, tree):
    query = f"period={report.pk}&unit={tree['county_a'].pk}"
    staff = page(api(users[Role.STAFF]), query)  # 甲县, full ID numbers
    reader = page(api(users[Role.API_READER]), query)  # 甲县, masked
    city = page(api(users["city_staff"]), query)  # the city, full ID numbers: the same rows
    assert staff.json()["results"] == city.json()["results"]
    assert len({staff["ETag"], reader["ETag"], city["ETag"]}) == 3
    assert page(api(users[Role.API_READER]), query, staff["ETag"]).status_code == 200
    assert page(api(users["city_staff"]), query, staff["ETag"]).status_code == 200


def test_a_304_records_no_view_of_full_id_numbers_and_a_200_does(users, report):
    client = api(users[Role.STAFF])
    query = f"period={report.pk}"
    views = AuditEntry.objects.filter(action=AuditAction.VIEW)
    etag = page(client, query)["ETag"]
    assert views.count() == 1
    assert page(client, query, etag).status_code == 304
    assert views.count() == 1


def test_the_page_query_count_stays_the_same_across_units_and_pages(
    users, tree, report, django_assert_num_queries
):
    client = api(users[Role.API_READER])  # 甲县, masked: no audit entry
    for i in range(30):
        cadre = CadreFactory(unit=tree["town_a"] if i % 2 else tree["county_a"], name=f"新{i}")
        Assessment.objects.create(period=report, cadre=cadre, unit=cadre.unit)
    # period; the units of the subtree with their labels and counts; the ids of the units the
    # page spans, in order; the page's rows by id with their cadres (counts and ids not kept in
    # the test settings); pages 1 and 2 span 甲县 and 甲镇, page 4 甲镇 alone
    for number in (1, 2, 4):
        with django_assert_num_queries(4):
            assert page(client, f"period={report.pk}&page_size=10&page={number}").status_code == 200


def test_the_page_decrypter_reads_every_key_and_refuses_a_token_none_opens(settings):
    from cryptography.fernet import Fernet

    from assessment.reports import decrypter
    from core.crypto import UndecryptableValue, encrypt

    old = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    token = encrypt("110101199003070011")
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]  # rotated: old still opens
    assert decrypter()(token) == "110101199003070011"
    assert decrypter()("") == ""
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(UndecryptableValue):
        decrypter()(token)


@pytest.mark.parametrize(
    "stored, shown",
    [
        ([], []),
        (  # the shape the grading writes: given as stored
            [{"rule": "加权总分", "effect": "76.30", "facts": "德75、能64"}],
            [{"rule": "加权总分", "effect": "76.30", "facts": "德75、能64"}],
        ),
        (  # quotes, backslashes, control characters and non-ASCII inside the strings
            [{"facts": 'a "b" \\ c\n\t', "rule": "规则/一", "effect": "\u2028"}],
            [{"rule": "规则/一", "effect": "\u2028", "facts": 'a "b" \\ c\n\t'}],
        ),
        (  # a number and a missing value are normalised as before: strings and null
            [{"rule": "加权总分", "effect": 76.3, "facts": None}],
            [{"rule": "加权总分", "effect": "76.3", "facts": None}],
        ),
        ([{"rule": "甲", "effect": "乙"}], [{"rule": "甲", "effect": "乙", "facts": None}]),  # a key missing
        (  # a key too many is left out
            [{"rule": "甲", "effect": "乙", "facts": "丙", "extra": "丁"}],
            [{"rule": "甲", "effect": "乙", "facts": "丙"}],
        ),
        (
            ["not an entry", {"rule": "甲", "effect": "乙", "facts": "丙"}],
            [{"rule": "甲", "effect": "乙", "facts": "丙"}],
        ),
    ],
)
def test_an_explanation_is_given_in_the_api_shape_whatever_was_stored(stored, shown, users, report, cadre_a):
    Assessment.objects.filter(cadre=cadre_a).update(explanation=stored)
    for accept in ("application/json", "text/html"):  # orjson's page and the browsable API's
        response = api(users[Role.API_READER]).get(
            f"{URL}?period={report.pk}&cadre={cadre_a.pk}", HTTP_ACCEPT=accept
        )
        assert response.status_code == 200
        if accept == "application/json":
            assert response.json()["results"][0]["explanation"] == shown
        else:
            assert response.context["response"].data["results"][0]["explanation"] == shown
