"""Permission matrix rows of the exports (issue 19): the roster (花名册) for every signed-in role
(scope narrows the rows, masking the ID numbers), the interview list for every signed-in role,
the audit trail for roles that read it."""

from tests.permissions.test_permission_matrix import AUDIT, GET, Row, W, url

ROWS = {
    # the download itself (a column picked): every role gets its scope's cadres
    "cadres:export": Row(url("cadres:export", query={"download": "1", "col": "name"}), GET, scoped=False),
    "supervision:interview_export": Row(
        url("supervision:interview_export", query={"kind": "talk"}), GET, scoped=False
    ),
    "audit:export": Row(url("audit:export", query={"action": "update"}), {"GET": W(AUDIT)}, scoped=False),
}
