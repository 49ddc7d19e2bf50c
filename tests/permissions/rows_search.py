"""Permission matrix row of the header search (cadres:search): every signed-in role may search,
and finds only cadres in its own subtree (tests/cadres/test_search.py checks what is found)."""

from tests.permissions.test_permission_matrix import GET, Row, url

ROWS = {
    "cadres:search": Row(url("cadres:search", query={"q": "zs"}), GET, scoped=False),
}
