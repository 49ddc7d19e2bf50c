"""The policy what-if (试算): a proposed rule graded without saving, compared with what is stored.
It must say exactly what saving the rule and recomputing then produces, and write nothing."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from assessment.models import Assessment, Grade, PolicyRule, TeamAssessment, UnitQuota
from assessment.services.policy import policy_rule_save
from assessment.services.recompute import period_recompute
from assessment.services.whatif import default_period, whatif_run
from audit.models import AuditEntry
from cadres.models import TeamMembership
from core.models import Job
from supervision.services.sanctions import sanction_create
from tests.factories import CadreFactory, make_period, make_user
from tests.scope.conftest import token_client

CODES = ["德", "能", "勤", "绩", "廉", "民主测评"]
QUOTA_40 = {"ratio": 40, "rounding": "round", "tie_break": "绩、德"}


def add(period, unit, totals, *, missing=()):
    """A cadre per total, every indicator scored the total (so the weighted total is it)."""
    rows = []
    for total in totals:
        cadre = CadreFactory(unit=unit)
        scores = {code: total for code in CODES if code not in missing}
        rows.append(Assessment.objects.create(period=period, cadre=cadre, unit=unit, scores=scores))
    return rows


@pytest.fixture
def graded(tree):
    """2025 annual period, graded: 甲镇 10 cadres (95 … 86) with a team of three, 甲县 itself 5
    (93, 92, 91, 80, 75), 乙镇 10 (95 … 86). Default rules: 20% floor, 优秀线 90."""
    period = make_period()
    town_a = add(period, tree["town_a"], range(95, 85, -1))
    add(period, tree["county_a"], [93, 92, 91, 80, 75])
    add(period, tree["town_b"], range(95, 85, -1))
    for i, row in enumerate([town_a[0], town_a[1], town_a[9]]):
        TeamMembership.objects.create(
            unit=tree["town_a"], cadre=row.cadre, role_title="班子成员", is_main_leader=i == 0
        )
    period_recompute(period_id=period.pk)
    return period


def root():
    """The one user whose scope is everything (the defaults are theirs to change)."""
    return make_user("root", Role.STAFF, None, is_superuser=True)


def rule(unit, kind, params, key="", enabled=True):
    return {"unit": unit, "kind": kind, "key": key, "params": params, "enabled": enabled}


def stored(period, path):
    return {
        a.pk: a
        for a in Assessment.objects.filter(period=period, unit__path__startswith=path).select_related("cadre")
    }


def fingerprint(period):
    """Everything a what-if must leave alone."""
    return (
        list(
            Assessment.objects.order_by("pk").values_list(
                "total_score", "computed_grade", "final_grade", "explanation", "review_required", "updated_at"
            )
        ),
        list(
            TeamAssessment.objects.order_by("pk").values_list("computed_grade", "final_grade", "updated_at")
        ),
        list(UnitQuota.objects.order_by("pk").values_list("unit_id", "places", "ratio", "updated_at")),
        list(PolicyRule.objects.order_by("pk").values_list("unit_id", "kind", "key", "params", "enabled")),
        AuditEntry.objects.count(),
        Job.objects.count(),
    )


# ------------------------------------------------------------------ what-if = save + recompute


def test_a_what_if_says_exactly_what_saving_the_rules_and_recomputing_produces(graded, tree, users):
    staff = users[Role.STAFF]  # 甲县
    county = tree["county_a"]
    before = {pk: (a.computed_grade, a.final_grade) for pk, a in stored(graded, county.path).items()}
    teams_before = dict(TeamAssessment.objects.filter(period=graded).values_list("unit_id", "final_grade"))
    proposed = [
        rule(county, "quota", QUOTA_40),
        rule(county, "team_thresholds", {"excellent_min": 92, "good_min": 80, "average_min": 60}),
    ]

    result = whatif_run(actor=staff, period=graded, rules=proposed)

    for p in proposed:
        policy_rule_save(actor=staff, unit=p["unit"], kind=p["kind"], params=p["params"])
    period_recompute(period_id=graded.pk)
    after = stored(graded, county.path)
    changed = {pk for pk, a in after.items() if (a.computed_grade, a.final_grade) != before[pk]}

    assert result["unit_name"] == "甲县" and result["assessed"] == len(after) == 15
    # 甲镇 4 优秀 instead of 2, 甲县 itself 2 instead of 1
    assert result["changed_count"] == len(changed) == 3
    assert {c["assessment"] for c in result["changed"]} == changed
    for c in result["changed"]:
        a = after[c["assessment"]]
        assert (c["computed_after"], c["final_after"]) == (a.computed_grade, a.final_grade)
        assert (c["final_before"], c["total_after"]) == (before[a.pk][1], a.total_score)
        assert c["explanation"] == a.explanation and c["cadre_name"] == a.cadre.name
    assert {c["assessment"] for c in result["excellent_in"]} == {
        pk for pk, a in after.items() if a.final_grade == Grade.EXCELLENT and before[pk][1] != Grade.EXCELLENT
    }
    assert result["excellent_out_count"] == 0
    finals = Counter(a.final_grade for a in after.values())
    assert {d["grade"]: d["after"] for d in result["distribution"]} == {
        d["grade"]: finals[d["grade"]] for d in result["distribution"]
    }
    assert next(d for d in result["distribution"] if d["grade"] == "优秀")["change"] == 3
    # the team of 甲镇 (95, 94, 86: 91.67) drops below the new 优秀 line
    team = TeamAssessment.objects.get(period=graded, unit=tree["town_a"])
    assert [(t["unit"], t["final_before"], t["final_after"]) for t in result["teams"]] == [
        (tree["town_a"].pk, teams_before[tree["town_a"].pk], team.final_grade)
    ]
    assert team.final_grade == Grade.TEAM_GOOD and result["teams"][0]["explanation"] == team.explanation
    quotas = {q.unit_id: q for q in UnitQuota.objects.filter(period=graded)}
    assert {q["unit"]: (q["places_after"], q["awarded_after"]) for q in result["quotas"]} == {
        tree["town_a"].pk: (quotas[tree["town_a"].pk].places, 4),
        county.pk: (quotas[county.pk].places, 2),
    }
    assert quotas[tree["town_a"].pk].places == 4


def test_nothing_is_written_no_audit_entry_and_no_job(
    graded, tree, users, django_capture_on_commit_callbacks
):
    before = fingerprint(graded)
    with django_capture_on_commit_callbacks() as callbacks:
        result = whatif_run(
            actor=users[Role.STAFF], period=graded, rules=[rule(tree["county_a"], "quota", QUOTA_40)]
        )
    assert result["changed_count"] == 3
    assert fingerprint(graded) == before
    assert callbacks == []


def test_a_rule_that_changes_nothing_lists_nothing(graded, tree, users):
    result = whatif_run(
        actor=users[Role.STAFF],
        period=graded,
        rules=[rule(tree["county_a"], "quota", {"ratio": 20, "rounding": "floor", "tie_break": "绩、德"})],
    )
    assert result["changed_count"] == 0 and result["changed"] == [] and result["quotas"] == []
    assert all(d["change"] == 0 for d in result["distribution"])


# ------------------------------------------------------------------ edges


def test_a_total_exactly_on_the_new_line_keeps_its_grade_one_hundredth_above_does_not(tree, users):
    period = make_period()
    on, below = add(period, tree["town_a"], [75, 74])
    period_recompute(period_id=period.pk)
    staff = users[Role.STAFF]

    def grades(line):
        params = {"excellent_min": 90, "competent_min": line, "basic_min": 60}
        result = whatif_run(actor=staff, period=period, rules=[rule(tree["town_a"], "thresholds", params)])
        return {c["assessment"]: c for c in result["changed"]}

    at_75 = grades(75)
    assert list(at_75) == [below.pk] and at_75[below.pk]["final_after"] == Grade.BASIC
    above = grades(Decimal("75.01"))
    assert above[on.pk]["final_after"] == Grade.BASIC
    assert any("总分 75.00 低于称职线 75.01" in e["facts"] for e in above[on.pk]["explanation"])


def test_missing_scores_renormalised_in_a_what_if_grade_the_cadre_and_widen_the_quota_base(tree, users):
    period = make_period()
    add(period, tree["town_a"], [95, 91, 85, 80])
    (gap,) = add(period, tree["town_a"], [88], missing=["民主测评"])
    period_recompute(period_id=period.pk)
    staff = users[Role.STAFF]
    proposed = rule(tree["town_a"], "missing_scores", {"mode": "renormalise", "codes": ""})

    result = whatif_run(actor=staff, period=period, rules=[proposed])

    rows = {c["assessment"]: c for c in result["changed"]}
    row = rows[gap.pk]
    assert (row["final_before"], row["final_after"]) == ("", Grade.COMPETENT)
    assert row["total_after"] == Decimal("88.00") and row["total_before"] is None
    assert any(e["rule"] == "缺项得分处理" for e in row["explanation"])
    assert {d["grade"]: (d["before"], d["after"]) for d in result["distribution"]}["未评定"] == (1, 0)
    # 4 → 5 in the base: 0.8 → 1 place at 20% floor, so 95 becomes 优秀
    (quota,) = result["quotas"]
    assert (quota["assessed_before"], quota["assessed_after"]) == (4, 5)
    assert (quota["places_before"], quota["places_after"]) == (0, 1)
    assert result["excellent_in_count"] == 1 and result["changed_count"] == 2

    policy_rule_save(actor=staff, unit=tree["town_a"], kind="missing_scores", params=proposed["params"])
    period_recompute(period_id=period.pk)
    gap.refresh_from_db()
    assert (gap.final_grade, gap.explanation) == (Grade.COMPETENT, row["explanation"])
    assert UnitQuota.objects.get(period=period, unit=tree["town_a"]).places == 1


def test_a_shorter_influence_period_in_a_what_if_lets_a_sanctioned_cadre_be_graded(tree, users):
    """记过 decided 2024-11-01: 12 months reach into 2025 (不定等次); so do 2 (to 2025-01-01,
    the year's first day); 1 month ends before it."""
    period = make_period()
    top, *_ = add(period, tree["town_a"], [95, 91, 85, 80, 70])
    sanction_create(
        actor=users[Role.STAFF],
        cadre=top.cadre,
        kind="demerit",
        decided_on=datetime.date(2024, 11, 1),
        reason="违纪",
    )
    period_recompute(period_id=period.pk)
    top.refresh_from_db()
    assert top.final_grade == Grade.UNDETERMINED
    params = {"sanction": "demerit", "months": 2, "basis": "overlaps_period", "effect": "undetermined"}

    def whatif(months):
        proposed = rule(tree["town_a"], "influence", {**params, "months": months}, key="demerit")
        return whatif_run(actor=users[Role.STAFF], period=period, rules=[proposed])

    assert whatif(2)["changed_count"] == 0
    # switched off for 甲镇, the same as a month's influence
    off = rule(tree["town_a"], "influence", {**params, "months": 12}, key="demerit", enabled=False)
    assert (
        whatif_run(actor=users[Role.STAFF], period=period, rules=[off])["excellent_in"][0]["assessment"]
        == top.pk
    )
    result = whatif(1)
    params["months"] = 1

    rows = {c["assessment"]: c for c in result["changed"]}
    assert (rows[top.pk]["final_before"], rows[top.pk]["final_after"]) == (
        Grade.UNDETERMINED,
        Grade.EXCELLENT,
    )
    # 95 takes the one place 91 held (20% of 5, 95 now counted in the base)
    assert result["excellent_out_count"] == 1 and result["changed_count"] == 2
    policy_rule_save(
        actor=users[Role.STAFF], unit=tree["town_a"], kind="influence", key="demerit", params=params
    )
    period_recompute(period_id=period.pk)
    for pk, row in rows.items():
        a = Assessment.objects.get(pk=pk)
        assert (a.final_grade, a.explanation) == (row["final_after"], row["explanation"])


def test_a_quarterly_period_is_graded_on_the_quarterly_scale(tree, users):
    period = make_period(quarter=1)
    for total in (92, 85):
        Assessment.objects.create(
            period=period,
            cadre=CadreFactory(unit=tree["town_a"]),
            unit=tree["town_a"],
            scores={"得分": total},
        )
    period_recompute(period_id=period.pk)
    params = {"good_min": 95, "fair_min": 80, "average_min": 60}

    result = whatif_run(
        actor=users[Role.STAFF], period=period, rules=[rule(tree["town_a"], "quarter_thresholds", params)]
    )

    assert [(c["final_before"], c["final_after"]) for c in result["changed"]] == [("好", "较好")]
    assert [d["grade"] for d in result["distribution"]] == ["好", "较好", "一般", "较差"]
    assert result["quotas"] == [] and result["teams"] == []
    assert default_period("quarter_thresholds") == period


def test_the_lists_are_capped_but_every_change_is_counted(graded, tree, users):
    result = whatif_run(
        actor=users[Role.STAFF], period=graded, rules=[rule(tree["county_a"], "quota", QUOTA_40)], limit=1
    )
    assert result["changed_count"] == 3 and len(result["changed"]) == 1
    assert result["excellent_in_count"] == 3 and len(result["excellent_in"]) == 1


def test_the_subtree_is_the_rules_unit_unless_told_and_a_default_rule_covers_the_whole_scope(
    graded, tree, users
):
    town = whatif_run(
        actor=users[Role.STAFF],
        period=graded,
        rules=[rule(tree["county_a"], "quota", QUOTA_40)],
        unit=tree["town_a"],
    )
    assert (town["unit_name"], town["assessed"], town["changed_count"]) == ("甲镇", 10, 2)
    city = whatif_run(actor=root(), period=graded, rules=[rule(None, "quota", QUOTA_40)])
    assert (city["unit"], city["assessed"], city["changed_count"]) == (None, 25, 5)


def test_the_queries_do_not_grow_with_the_cadres(tree, users):
    counts = []
    for n, year in ((6, 2023), (40, 2024)):
        period = make_period(year=year)
        add(period, tree["town_a"], [95 - i % 10 for i in range(n)])
        period_recompute(period_id=period.pk)
        with CaptureQueriesContext(connection) as ctx:
            result = whatif_run(
                actor=users[Role.STAFF], period=period, rules=[rule(tree["town_a"], "quota", QUOTA_40)]
            )
        assert result["changed_count"] > 0
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_the_what_if_reads_the_rows_as_the_recomputation_does_but_not_the_explanations(graded, tree):
    from assessment.services.recompute import STORED_FIELDS, load_rows
    from assessment.services.whatif import _load_rows

    Assessment.objects.filter(period=graded, unit=tree["town_a"]).update(
        override_grade=Grade.BASIC, appeal_grade=Grade.COMPETENT, track="rural"
    )
    for path in ("", tree["county_a"].path):
        stored, rows = load_rows(graded, path)
        light_stored, light_rows = _load_rows(graded, path)
        assert light_rows == rows and len(rows) == (25 if not path else 15)
        skip = STORED_FIELDS.index("explanation") - 1  # load_rows moves the appeal grade last
        assert [s[:skip] + s[skip + 1 :] for s in light_stored] == [s[:skip] + s[skip + 1 :] for s in stored]
        assert {s[skip] for s in light_stored} == {None} and all(s[skip] for s in stored)


# ------------------------------------------------------------------ refusals


def test_a_role_that_may_not_change_the_policy_may_not_try_it(graded, tree, users):
    with pytest.raises(PermissionDenied):
        whatif_run(
            actor=users[Role.COUNTY_ADMIN], period=graded, rules=[rule(tree["county_a"], "quota", QUOTA_40)]
        )


@pytest.mark.parametrize("where", ["county_b", "city"])
def test_a_rule_for_a_unit_outside_the_scope_or_one_level_above_is_refused(graded, tree, users, where):
    with pytest.raises(PermissionDenied, match="不在您的管辖范围内"):
        whatif_run(actor=users[Role.STAFF], period=graded, rules=[rule(tree[where], "quota", QUOTA_40)])


def test_a_county_user_may_not_try_a_default_rule(graded, users):
    with pytest.raises(PermissionDenied, match="默认规则"):
        whatif_run(actor=users[Role.STAFF], period=graded, rules=[rule(None, "quota", QUOTA_40)])


@pytest.mark.parametrize("where", ["county_b", "city"])
def test_a_subtree_outside_the_scope_is_refused(graded, tree, users, where):
    with pytest.raises(PermissionDenied):
        whatif_run(
            actor=users[Role.STAFF],
            period=graded,
            rules=[rule(tree["county_a"], "quota", QUOTA_40)],
            unit=tree[where],
        )


@pytest.mark.parametrize(
    ("kind", "params", "field", "message"),
    [
        ("quota", {"ratio": 150, "rounding": "floor"}, "rules[0].ratio", "须在 0 到 100 之间"),
        (
            "thresholds",
            {"excellent_min": 60, "competent_min": 75, "basic_min": 60},
            "rules[0].excellent_min",
            "从高到低",
        ),
        (
            "influence",
            {"sanction": "warning", "months": 6, "basis": "overlaps_period", "effect": "cap"},
            "rules[0].key",
            "规则标识",
        ),
        ("appeal", {"days": 10}, "rules[0].kind", "不影响考核等次"),
        ("recall_points", {}, "rules[0].kind", "不影响考核等次"),
        ("no_such_kind", {}, "rules[0].kind", "未知的规则类型"),
    ],
)
def test_bad_rules_are_refused_by_field(graded, tree, users, kind, params, field, message):
    with pytest.raises(ValidationError) as exc:
        whatif_run(actor=users[Role.STAFF], period=graded, rules=[rule(tree["county_a"], kind, params)])
    assert message in exc.value.message_dict[field][0]


def test_no_rules_at_all_is_refused(graded, users):
    with pytest.raises(ValidationError, match="至少一条"):
        whatif_run(actor=users[Role.STAFF], period=graded, rules=[])


# ------------------------------------------------------------------ API


def api_url(period):
    return reverse("period-what-if", args=[period.pk])


def test_the_api_answers_the_what_if_and_writes_nothing(graded, tree, users):
    client = token_client(users[Role.STAFF])
    before = fingerprint(graded)
    body = {"rules": [{"unit": tree["county_a"].pk, "kind": "quota", "params": QUOTA_40}]}

    response = client.post(api_url(graded), body, format="json")

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["unit"] == {"id": tree["county_a"].pk, "name": "甲县"}
    assert data["changed_count"] == 3 and data["excellent_in_count"] == 3
    assert data["rules"][0]["params"]["ratio"] == 0.4
    assert data["changed"][0]["explanation"][-1]["rule"] == "优秀比例"
    assert isinstance(data["quotas"][0]["ratio_after"], float)
    assert fingerprint(graded) == before


def test_the_api_refuses_bad_rules_with_the_fields(graded, tree, users):
    client = token_client(users[Role.STAFF])
    body = {
        "rules": [{"unit": tree["county_a"].pk, "kind": "quota", "params": {"ratio": 150, "rounding": "x"}}]
    }
    response = client.post(api_url(graded), body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "须在 0 到 100 之间" in error["fields"]["rules[0].ratio"][0]
    assert "rules[0].rounding" in error["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rules": [{"unit": "abc", "kind": "quota", "params": QUOTA_40}]}, "rules[0].unit"),
        ({"rules": [{"unit": None, "kind": "recall_points", "params": {}}]}, "rules[0].kind"),
        ({"rules": "quota"}, "rules"),
        ({"rules": [{"kind": "quota", "params": {"ratio": "NaN", "rounding": "floor"}}]}, "rules[0].ratio"),
        ({"rules": [{"kind": "quota", "params": {"ratio": 20, "rounding": ["floor"]}}]}, "rules[0].rounding"),
        ({"rules": [{"kind": "quota", "params": {"ratio": 20, "rounding": {"a": 1}}}]}, "rules[0].rounding"),
        ({"rules": [{"kind": "quota", "params": {"ratio": True, "rounding": "floor"}}]}, "rules[0].ratio"),
        ({"rules": [{"kind": "quota", "params": []}]}, "rules[0].params"),
        ({"rules": [{"kind": "quota", "key": 5, "params": QUOTA_40}]}, "rules[0].key"),
        ({"rules": [{"kind": "quota", "enabled": "yes", "params": QUOTA_40}]}, "rules[0].enabled"),
        ({"rules": [7]}, "rules[0]"),
        (
            {"rules": [{"kind": "quota", "params": QUOTA_40}, {"kind": "quota", "params": QUOTA_40}]},
            "rules[1].key",
        ),
        ({"rules": [{"kind": "quota", "params": QUOTA_40}], "limit": 0}, "limit"),
        ({"unit": "x", "rules": []}, "unit"),
    ],
)
def test_the_api_refuses_malformed_bodies(graded, users, body, field):
    response = token_client(root()).post(api_url(graded), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_the_api_says_not_found_for_a_unit_outside_the_scope(graded, tree, users):
    client = token_client(users[Role.STAFF])
    rules = [{"unit": tree["county_a"].pk, "kind": "quota", "params": QUOTA_40}]
    assert (
        client.post(api_url(graded), {"unit": tree["county_b"].pk, "rules": rules}, format="json").status_code
        == 404
    )
    outside = [{"unit": tree["county_b"].pk, "kind": "quota", "params": QUOTA_40}]
    response = client.post(api_url(graded), {"rules": outside}, format="json")
    assert (
        response.status_code == 400
        and "不在您的管辖范围内" in response.json()["error"]["fields"]["rules[0].unit"][0]
    )


def test_the_api_refuses_a_role_without_the_capability(graded, tree, users):
    client = token_client(users[Role.COUNTY_ADMIN])
    rules = [{"unit": tree["county_a"].pk, "kind": "quota", "params": QUOTA_40}]
    response = client.post(api_url(graded), {"rules": rules}, format="json")
    assert response.status_code == 403


# ------------------------------------------------------------------ the page


def edit_url(kind, unit):
    return reverse("assessment:policy_edit") + f"?kind={kind}&unit={unit.pk}"


def test_the_edit_page_offers_the_what_if_with_the_open_annual_period(client, graded, tree, users):
    client.force_login(users[Role.STAFF])
    page = client.get(edit_url("quota", tree["county_a"])).content.decode()
    assert 'name="whatif"' in page and "试算考核期" in page
    assert f'<option value="{graded.pk}" selected>' in page
    assert 'name="whatif"' not in client.get(edit_url("appeal", tree["county_a"])).content.decode()


def test_the_what_if_button_shows_the_result_keeps_the_input_and_saves_nothing(client, graded, tree, users):
    client.force_login(users[Role.STAFF])
    before = fingerprint(graded)
    response = client.post(
        edit_url("quota", tree["county_a"]),
        {
            "kind": "quota",
            "unit": tree["county_a"].pk,
            "ratio": "40",
            "rounding": "round",
            "tie_break": "绩、德",
            "enabled": "on",
            "whatif-period": graded.pk,
            "whatif-unit": "",
            "whatif": "1",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "试算结果" in page and "等次会变化的干部（3 人）" in page
    assert "20% → 40%" in page
    assert 'value="40.00"' in page or 'value="40"' in page
    assert fingerprint(graded) == before


def test_a_bad_value_in_a_what_if_is_shown_on_its_field_and_nothing_is_graded(client, graded, tree, users):
    client.force_login(users[Role.STAFF])
    response = client.post(
        edit_url("thresholds", tree["county_a"]),
        {
            "kind": "thresholds",
            "unit": tree["county_a"].pk,
            "excellent_min": "50",
            "competent_min": "75",
            "basic_min": "60",
            "enabled": "on",
            "whatif-period": graded.pk,
            "whatif": "1",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "分数线须从高到低" in page and "试算结果" not in page
