"""Permission matrix rows of the public board (民心墙晾晒) and its index.

The board of a village or community is public: anonymous visitors and every role read it (200),
whatever their scope, so the row names the village of the *other* county (乙一村), which no user
of the matrix (甲县) has in scope, and is not scoped (there is no 404 to compare: the board
does not depend on who asks). It is read-only: a POST is refused with 405 for everyone,
anonymous included, and writes nothing. The index lists the villages of the user's scope: every
signed-in role reads it; anonymous visitors are sent to log in."""

from tests.permissions.test_permission_matrix import GET, Access, Row, url


def other_county_village(w, k):
    return w.units["village_b1a"].code


ROWS = {
    "workorders:boards": Row(url("workorders:boards"), GET, scoped=False),
    "workorders:board": Row(
        url("workorders:board", other_county_village),
        {"GET": Access(anon=200), "POST": Access(ok=405, anon=405)},
        scoped=False,
    ),
}
