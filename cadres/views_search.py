"""The header search (issue 19): cadres by name, pinyin initials or ID number, within scope."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from .search import cadre_search

PAGE_SIZE = 20


@login_required
def cadre_search_page(request):
    q = (request.GET.get("q") or "").strip()[:50]
    result = cadre_search(request.user, q)
    page = None
    if result.cadres is not None:
        page = Paginator(result.cadres, PAGE_SIZE).get_page(request.GET.get("page"))
        today = timezone.localdate()
        for cadre in page.object_list:
            cadre.current_age = cadre.age(today)
    return render(
        request,
        "cadres/search.html",
        {
            "q": q,
            "result": result,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
            if page
            else [],
            "can_search_tail": request.user.can("view_id_number"),
        },
    )


urlpatterns = [path("search/", cadre_search_page, name="search")]
