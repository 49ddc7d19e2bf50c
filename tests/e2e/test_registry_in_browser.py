"""A staff member logs in, finds a cadre, adds one through the form (with a typo first), and
sees the change on the profile's audit timeline; a county admin cannot reach another county."""

import datetime

import pytest

from cadres.models import Cadre
from tests.e2e.conftest import login
from tests.factories import make_id

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_staff_adds_a_cadre_through_the_form_and_sees_it_on_the_profile(page, live_server, users, cadre_a):
    login(page, live_server, "staff_a")
    assert "干部考核管理系统" in page.content()

    page.goto(live_server.url + "/cadres/")
    assert page.get_by_text("张三").count() >= 1

    page.goto(live_server.url + "/cadres/new/")
    born = datetime.date(1990, 4, 12)
    good_id = make_id(born)
    bad_id = good_id[:-1] + ("1" if good_id[-1] != "1" else "2")
    page.select_option("select[name=unit]", value=str(cadre_a.unit_id))
    page.fill("input[name=name]", "赵六")
    page.fill("input[name=id_number]", bad_id)
    page.select_option("select[name=gender]", value="M")
    page.fill("input[name=birth_date]", born.isoformat())
    page.fill("input[name=work_start_date]", "2012-07-01")
    page.select_option("select[name=political_status]", value="cpc")
    page.fill("input[name=party_join_date]", "2011-06-01")
    page.select_option("select[name=identity]", value="civil_servant")
    page.select_option("select[name=kind]", value="general")
    page.select_option("select[name=rank]", value="staff")
    page.fill("input[name=post_title]", "科员")
    page.locator("form.form-page button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "校验位" in page.content()
    assert not Cadre.objects.filter(name="赵六").exists()

    page.fill("input[name=id_number]", good_id)
    page.locator("form.form-page button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    cadre = Cadre.objects.get(name="赵六")
    assert page.url.rstrip("/").endswith(f"/cadres/{cadre.pk}")
    html = page.content()
    assert "赵六" in html
    # the audit timeline on the profile shows who created the record
    timeline = page.locator("ol.audit-timeline").inner_text()
    assert "staff_a" in timeline, timeline
    assert page.foreign_requests == []  # every asset is served by the app itself


def test_county_admin_gets_404_for_a_cadre_of_another_county(page, live_server, users, cadre_b):
    login(page, live_server, "county_admin_a")
    response = page.goto(live_server.url + f"/cadres/{cadre_b.pk}/")
    assert response.status == 404
    response = page.goto(live_server.url + "/cadres/")
    assert response.status == 200
    assert "李四" not in page.content()
