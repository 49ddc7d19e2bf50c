"""Permission matrix rows of the policy what-if (试算): ``periods/{id}/what-if/`` of the API.

The 试算 page is the policy edit page's own POST (its row is in the main table). The API checks
the role first (403 for a role without ``manage_assessment``, whatever the unit), then the unit
of the subtree (outside or missing: 404), then the body: the matrix's empty body has no rules
(400). Nothing is written either way."""

from tests.permissions.test_permission_matrix import MANAGE, Row, W, obj, period, url

ROWS = {
    "period-what-if": Row(
        url("period-what-if", period, query={"unit": obj("units")}),
        {"POST": W(MANAGE, 400, role_first=True)},
    ),
}
