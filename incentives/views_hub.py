"""The 激励关爱 hub (/incentives/): a card per area of incentives and care (``incentives.hub``)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_safe

from .hub import hub_cards


@login_required
@require_safe
def home(request):
    cards = []
    for link in hub_cards(request.user):
        try:
            href = reverse(link.url_name) + link.anchor
        except NoReverseMatch:  # an area whose pages are not wired yet shows no card
            continue
        cards.append({"link": link, "href": href, "badge": link.badge(request.user) if link.badge else None})
    return render(request, "incentives/home.html", {"cards": cards})


urlpatterns = [path("", home, name="home")]
