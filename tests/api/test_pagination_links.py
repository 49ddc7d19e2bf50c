"""A list's ``next`` and ``previous`` links are the ones DRF writes: the query's parameters
sorted, the page replaced, ``page`` left out for the first page; the rest of the query kept
as it came (repeated, blank and non-ASCII values)."""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.api import Pagination

QUERIES = [
    "page=2",
    "period=1&page=2&page_size=100&unit=33",
    "zeta=1&page=3&alpha=&grade=%E4%BC%98%E7%A7%80&kind=a&kind=b",
    "page_size=1&page=1",
    "page=last&page_size=2",
]


@pytest.mark.parametrize("query", QUERIES)
def test_links_are_drfs_own(query):
    request = Request(APIRequestFactory().get(f"/api/v1/things/?{query}"))
    pagination = Pagination()
    pagination.paginate_queryset(list(range(1000)), request)
    url = request.build_absolute_uri()
    page = pagination.page
    expected_next = replace_query_param(url, "page", page.next_page_number()) if page.has_next() else None
    if not page.has_previous():
        expected_previous = None
    elif page.previous_page_number() == 1:
        expected_previous = remove_query_param(url, "page")
    else:
        expected_previous = replace_query_param(url, "page", page.previous_page_number())
    assert pagination.get_next_link() == expected_next
    assert pagination.get_previous_link() == expected_previous
    assert (expected_next, expected_previous) != (None, None) or page.paginator.num_pages == 1
