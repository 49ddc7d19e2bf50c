"""``core.prepared.execute``: on PostgreSQL a statement is prepared once per connection and
run with EXECUTE (a new connection prepares it again); elsewhere it runs as it is; the query
log sees one statement per call either way."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import prepared

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SQL = "SELECT %s + 1, %s"


def run(sql=SQL, params=(41, "x")):
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, list(params))
        return cursor.fetchall()


def statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_statement_answers_and_the_log_sees_one_statement_per_call():
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            assert run() == [(42, "x")]
        assert len(queries.captured_queries) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_postgresql_prepares_once_per_connection_and_again_on_a_new_one():
    connection.close()
    run()
    run((SQL), (1, "y"))
    mine = [s for s in statements() if "$1 + 1, $2" in s]
    assert len(mine) == 1
    connection.close()  # a new connection has no prepared statements: prepared again, no error
    assert run() == [(42, "x")]
    assert len([s for s in statements() if "$1 + 1, $2" in s]) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_each_statement_text_is_its_own_prepared_statement():
    connection.close()
    run()
    run("SELECT %s + 2, %s")
    assert {s for s in statements() if "$1 + " in s} == {
        "PREPARE q_" + prepared_name(SQL) + " AS SELECT $1 + 1, $2",
        "PREPARE q_" + prepared_name("SELECT %s + 2, %s") + " AS SELECT $1 + 2, $2",
    }


def prepared_name(sql):
    import hashlib

    return hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the check guards the PREPARE")
@pytest.mark.parametrize("sql, params", [("SELECT %s", [1, 2]), ("SELECT %s LIKE 'a%%'", [1])])
def test_a_statement_with_another_percent_or_a_parameter_count_that_differs_is_refused(sql, params):
    with pytest.raises(ValueError), connection.cursor() as cursor:
        prepared.execute(cursor, sql, params)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_switched_off_nothing_is_prepared(settings):
    settings.DB_PREPARED_STATEMENTS = False
    connection.close()
    assert run("SELECT %s + 3, %s") == [(44, "x")]
    assert not [s for s in statements() if "$1 + 3" in s]
