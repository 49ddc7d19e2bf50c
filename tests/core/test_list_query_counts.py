"""Every list page reads a fixed number of queries whatever the number of rows (issue 19).

The inventory of list pages (``GET`` pages that list rows) and where each one's two-size
``django_assert_num_queries`` test lives; the pages without one elsewhere are tested here, each
with 3 and 30 rows. ``test_every_list_page_is_in_the_inventory`` keeps the inventory honest: a
new page whose name says it lists (``list``, ``history``, ``s`` at the end ...) must be added."""

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.roles import Role
from assessment.models import RaceTrack
from cadres.models import TeamMembership, UnitKind
from supervision.models import Sanction
from supervision.services import interviews as interview_svc
from tests.factories import CadreFactory, unit_child

TESTS = Path(settings.BASE_DIR) / "tests"

# URL name -> the test (file::function) holding its two-size query-count test.
INVENTORY = {
    "assessment:appeals": "assessment/test_appeals.py::test_the_list_puts_pending_appeals_first_and_filters",
    "assessment:import_history": "core/test_list_query_counts.py::test_the_import_history",
    "assessment:periods": "assessment/test_period_pages.py::test_the_list_takes_a_constant_number_of_queries",
    "audit:list": "audit/test_views.py::test_the_audit_page_costs_the_same_queries_for_3_or_30_entries",
    "cadres:list": "core/test_list_query_counts.py::test_the_cadre_list",
    "cadres:search": "cadres/test_search.py::test_the_query_count_does_not_grow_with_the_results",
    "cadres:units": "cadres/test_views.py::test_the_unit_tree_costs_the_same_queries_for_3_or_30_units",
    "cadres:unit_detail": "core/test_list_query_counts.py::test_a_units_page_with_its_team_and_child_units",
    "interop:batches": "interop/test_import.py::test_batch_list_queries_do_not_grow_with_rows",
    "incentives:bonus_bases": "incentives/test_pool_pages.py::test_the_bases_page_reads_a_fixed_number_of_queries",
    "incentives:care": "incentives/test_care_pages.py::test_the_records_list_costs_the_same_queries_for_3_or_30",
    "incentives:care_due": "incentives/test_care_pages.py::test_the_due_page_costs_the_same_queries_for_3_or_30",
    "incentives:departed": "incentives/test_care_pages.py::test_the_departed_list_costs_the_same_queries_for_2_or_12",
    "incentives:exemptions": "incentives/test_exemptions_pages.py::test_the_list_costs_the_same_queries_for_3_or_30",
    "incentives:hardship": "incentives/test_care_pages.py::test_the_hardship_list_costs_the_same_queries_for_1_or_3",
    "incentives:lists": "incentives/test_lists_pages.py::test_the_list_reads_a_fixed_number_of_queries",
    "incentives:pools": "incentives/test_pool_pages.py::test_the_pools_page_reads_a_fixed_number_of_queries",
    "incentives:track_rankings": "incentives/test_tracks_pages.py::"
    "test_the_rankings_page_reads_a_fixed_number_of_queries",
    "incentives:tracks": "core/test_list_query_counts.py::test_the_race_track_catalogue",
    "recall:cases": "recall/test_pages.py::test_the_case_list_costs_the_same_queries_for_3_or_30_cases",
    "recall:decisions": "recall/test_flag_pages.py::test_the_decision_list_costs_the_same_queries_for_3_or_30",
    "recall:flags": "recall/test_flag_pages.py::test_the_queue_costs_the_same_queries_for_3_or_30_flags",
    "recall:negative_list": "recall/test_catalogue_pages.py::"
    "test_the_negative_list_page_costs_the_same_queries_for_1_or_10_entries",
    "recall:points": "recall/test_catalogue_pages.py::test_the_point_list_costs_the_same_queries_for_3_or_30",
    "supervision:check_list": "supervision/test_records_checks.py::test_the_check_list_takes_a_constant_number_of_queries",
    "supervision:clue_list": "supervision/test_records_clues.py::test_the_clue_list_takes_a_constant_number_of_queries",
    "supervision:interviews": "supervision/test_interview_pages.py::test_the_list_costs_the_same_queries_for_3_or_30_records",
    "supervision:investigation_list": "supervision/test_investigations.py::test_the_list_costs_the_same_queries_for_1_or_20_rows",
    "supervision:monthly_summary": "core/test_list_query_counts.py::test_the_monthly_interview_summary",
    "supervision:review_list": "supervision/test_records_review.py::"
    "test_the_list_of_secretaries_takes_a_constant_number_of_queries",
    "supervision:sanction_list": "core/test_list_query_counts.py::test_the_sanction_list",
    "workorders:boards": "workorders/test_board.py::test_the_index_costs_the_same_queries_for_few_or_many_villages",
    "workorders:groups": "workorders/test_pages.py::test_the_group_list_takes_the_same_queries_for_2_or_12_groups",
    "workorders:home": "workorders/test_pages.py::test_the_list_takes_the_same_queries_for_3_or_30_orders",
}


def test_every_inventoried_page_has_its_query_count_test():
    from tests.permissions.test_permission_matrix import url_patterns

    names = {name for name, _ in url_patterns()}
    for name, where in INVENTORY.items():
        assert name in names, f"{name}: no such page any more"
        path, function = where.split("::")
        source = (TESTS / path).read_text(encoding="utf-8")
        body = source[source.index(f"def {function}") :]
        body = body[: (m.start() if (m := re.search(r"\ndef ", body[1:])) else len(body))]
        assert "django_assert_num_queries" in body, f"{name}: {where} counts no queries"


def test_every_list_page_is_in_the_inventory():
    from tests.permissions.test_permission_matrix import url_patterns

    listing = re.compile(r"(list|history|_due|^[a-z_]+:[a-z]+s)$")
    found = {
        name
        for name, route in url_patterns()
        if name
        and not route.startswith(("api/", "admin/"))
        and "<" not in route
        and listing.search(name)
        and not name.endswith(("_export", ":statistics"))
    }
    assert sorted(found - set(INVENTORY)) == []


# ---------------------------------------------------------------- the pages tested here

SIZES = [3, 30]


@pytest.mark.parametrize("count", SIZES)
def test_the_cadre_list(client, users, tree, count, django_assert_num_queries):
    CadreFactory.create_batch(count, unit=tree["town_a"])
    client.force_login(users[Role.STAFF])
    url = reverse("cadres:list")
    # session, user, the user's unit (scope), the unit filter's options, COUNT for the pager,
    # the page of cadres with their units and labels, the audit entry recording that full ID
    # numbers were shown
    with django_assert_num_queries(7):
        response = client.get(url)
    assert len(response.context["page"].object_list) == count


@pytest.mark.parametrize("count", SIZES)
def test_a_units_page_with_its_team_and_child_units(client, users, tree, count, django_assert_num_queries):
    town = tree["town_a"]
    for n in range(count):
        cadre = CadreFactory(unit=town)
        TeamMembership.objects.create(unit=town, cadre=cadre, role_title="委员", order=n)
        unit_child(town, f"C01A01{n:03d}", f"村{n:02d}", UnitKind.VILLAGE)
    client.force_login(users[Role.STAFF])
    url = reverse("cadres:unit_detail", args=[town.pk])
    # session, user, user's unit (scope), the unit, its ancestors, COUNT of the subtree's cadres,
    # COUNT of its own cadres, the team (members with their units and labels), the child units
    # (with their cadre counts and labels), the unit picker of the team form
    with django_assert_num_queries(10):
        response = client.get(url)
    assert response.content.decode().count("委员") >= count


@pytest.mark.parametrize("count", SIZES)
def test_the_sanction_list(client, users, cadre_a, count, django_assert_num_queries):
    staff = users[Role.STAFF]
    for n in range(count):
        Sanction.objects.create(
            cadre=cadre_a,
            kind="warning",
            decided_on=datetime.date(2024, 1, 1) + datetime.timedelta(days=n),
            reason="迟到",
            created_by=staff,
        )
    client.force_login(staff)
    # session, user, user's unit (scope), COUNT for the pager, the unit filter's options, the
    # page of sanctions with their cadres and units
    with django_assert_num_queries(6):
        response = client.get(reverse("supervision:sanction_list"))
    assert response.status_code == 200


@pytest.mark.parametrize("count", SIZES)
def test_the_race_track_catalogue(client, users, count, django_assert_num_queries):
    for n in range(count):
        RaceTrack.objects.create(code=f"t{n:03d}", name=f"赛道{n:03d}", order=100 + n)
    client.force_login(users[Role.STAFF])
    # session, user; the tracks, how many assessments, indicators and standings use each (one
    # GROUP BY each); the user's unit and whether a unit lies outside it (only a whole-tree user
    # edits the catalogue)
    with django_assert_num_queries(8):
        page = client.get(reverse("incentives:tracks")).content.decode()
    assert "赛道000" in page and f"赛道{count - 1:03d}" in page


@pytest.mark.parametrize("count", SIZES)
def test_the_monthly_interview_summary(client, users, tree, count, django_assert_num_queries):
    staff = users[Role.STAFF]
    for n in range(count):
        interview_svc.interview_record(
            actor=staff,
            kind="talk",
            subject_type="cadre",
            cadre=CadreFactory(unit=tree["town_a"]),
            conducted_on=datetime.date(2024, 5, 1 + n % 28),
            record="谈心",
        )
    client.force_login(staff)
    # session, user, user's unit (scope), the month's counts by unit and kind (one GROUP BY),
    # the unit filter's options
    with django_assert_num_queries(5):
        response = client.get(reverse("supervision:monthly_summary"), {"year": 2024, "month": 5})
    assert response.status_code == 200


@pytest.mark.parametrize("count", SIZES)
def test_the_import_history(client, users, tree, count, django_assert_num_queries):
    from assessment.models import ImportBatch
    from tests.factories import make_period

    period = make_period(year=2025)
    county = tree["county_a"]
    for n in range(count):
        ImportBatch.objects.create(
            period=period,
            unit=county,
            scope_path=county.path,
            uploaded_by=users[Role.COUNTY_ADMIN],
            original_name=f"评分表{n:02d}.xlsx",
        )
    client.force_login(users[Role.COUNTY_ADMIN])
    # session, user, the user's unit (scope), COUNT for the pager, the period filter's options,
    # the page of batches (period, unit and uploader joined)
    with django_assert_num_queries(6):
        page = client.get(reverse("assessment:import_history")).content.decode()
    assert page.count("评分表") >= count
