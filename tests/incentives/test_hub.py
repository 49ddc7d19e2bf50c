"""The 激励关爱 hub: the sidebar opens it, it lists the registered cards a user may see."""

from django.urls import reverse

from incentives.hub import HUB_LINKS, HubLink, hub_add


def test_sidebar_links_the_hub_without_the_building_badge(client, users):
    client.force_login(users["staff"])
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("incentives:home")}"' in page
    nav = page.split('aria-label="主导航"')[1].split("</nav>")[0]
    assert "激励关爱" in nav and "建设中" not in nav.split("激励关爱")[1].split("</li>")[0]


def test_hub_shows_a_card_per_area_and_hides_one_needing_a_capability(client, users, monkeypatch):
    monkeypatch.setattr("incentives.hub.HUB_LINKS", list(HUB_LINKS))
    hub_add(HubLink("test-open", "公开卡片", "incentives:home", "bi-star", "人人可见", order=1))
    hub_add(
        HubLink(
            "test-closed", "办理卡片", "incentives:home", "bi-star", "仅可办理者", perm="manage_incentives"
        )
    )
    client.force_login(users["auditor"])
    page = client.get(reverse("incentives:home")).content.decode()
    assert "公开卡片" in page and "办理卡片" not in page
    client.force_login(users["staff"])
    page = client.get(reverse("incentives:home")).content.decode()
    assert "公开卡片" in page and "办理卡片" in page
