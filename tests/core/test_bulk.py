"""core.bulk: COPY on PostgreSQL, bulk_create elsewhere; both must store exactly what was given.

Run on SQLite (default) and on PostgreSQL (DATABASE_URL=postgres://…).
"""

import datetime
import uuid

import orjson
import pytest
from django.db import IntegrityError, connection, models, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessment.models import PolicyRule, RuleKind
from audit.models import AuditEntry
from cadres import idnumber
from cadres.models import Cadre, CadreKind, Gender, Identity, Rank, TeamMembership
from core.bulk import RawJSON, _ChunkReader, _converter, bulk_insert, bulk_update_rows, pick, reserve_pks
from core.models import Job, JobState
from tests.factories import CadreFactory, make_id

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL only")

TRICKY = [
    "tab\there",
    "new\nline",
    "carriage\r\nreturn",
    "back\\slash",
    "\\N",  # the COPY null marker, as text
    "\\.",  # the COPY end-of-data marker, as text
    "ends with backslash\\",
    "quotes ' and \"",
    "逗号,分号;中文（全角）和 emoji 🙂",
    "",
    "  leading and trailing spaces  ",
]


def cadre_row(unit, n: int, **extra) -> dict:
    born = datetime.date(1980, 1, 1) + datetime.timedelta(days=n)
    row = {
        "unit": unit,
        "name": f"干部{n}",
        "gender": Gender.MALE,
        "id_number": make_id(born),
        "birth_date": born,
        "work_start_date": datetime.date(2002, 7, 1),
        "political_status": "masses",
        "party_join_date": None,
        "identity": Identity.CIVIL_SERVANT,
        "kind": CadreKind.GENERAL,
        "rank": Rank.STAFF,
        "post_title": "科员",
        "phone": "",
        "notes": "",
    }
    row.update(extra)
    # bulk writers call no save(): they give the number's keyed hash themselves
    row.setdefault("id_number_hash", idnumber.digest(row["id_number"]))
    return row


def test_text_with_tabs_newlines_backslashes_and_null_markers_round_trips(tree):
    rows = [cadre_row(tree["town_a"], i, notes=text, post_title=text[:100]) for i, text in enumerate(TRICKY)]
    assert bulk_insert(Cadre, rows) == len(TRICKY)
    stored = dict(Cadre.objects.values_list("name", "notes"))
    assert [stored[f"干部{i}"] for i in range(len(TRICKY))] == TRICKY
    assert sorted(Cadre.objects.values_list("post_title", flat=True)) == sorted(t[:100] for t in TRICKY)


def test_null_stays_null_and_empty_string_stays_empty(tree):
    bulk_insert(Cadre, [cadre_row(tree["town_a"], 1, phone="", party_join_date=None, post_start_date=None)])
    cadre = Cadre.objects.get()
    assert cadre.phone == ""
    assert cadre.party_join_date is None
    assert cadre.post_start_date is None


def test_dates_foreign_keys_and_defaults_are_stored(tree):
    before = timezone.now()
    bulk_insert(
        Cadre,
        [cadre_row(tree["town_b"], 2, party_join_date=datetime.date(2004, 2, 29), political_status="cpc")],
    )
    cadre = Cadre.objects.get()
    assert cadre.unit_id == tree["town_b"].pk
    assert cadre.birth_date == datetime.date(1980, 1, 3)
    assert cadre.party_join_date == datetime.date(2004, 2, 29)
    assert cadre.ethnicity == "汉族"  # model default for a field the row left out
    assert cadre.status == "on_post"
    assert before <= cadre.created_at <= timezone.now()


def test_json_and_timestamps_round_trip(db):
    at = datetime.datetime(2024, 3, 1, 8, 30, 15, 123456, tzinfo=datetime.UTC)
    changes = {
        "text": ["a\tb\nc\\d", "引号\"和'单引号"],
        "nested": {"list": [1, 2.5, None, True, False], "empty": {}, "null": None},
        "backslash_n": "\\n is not a newline",
        "中文键": "值",
    }
    rows = [
        {
            "at": at,
            "actor_label": "系统",
            "action": "create",
            "model": "cadres.cadre",
            "object_id": "1",
            "object_repr": "tab\there",
            "changes": changes,
            "cadre_id": None,
            "scope_path": "",
            "batch": "b1",
            "reason": "line\nbreak",
        }
    ]
    bulk_insert(AuditEntry, rows)
    entry = AuditEntry.objects.get()
    assert entry.changes == changes
    assert entry.at == at
    assert entry.cadre_id is None
    assert entry.actor_id is None
    assert entry.object_repr == "tab\there"
    assert entry.reason == "line\nbreak"


def test_raw_json_is_written_as_it_is_by_insert_and_update(db):
    """RawJSON: text already encoded as JSON is stored as that JSON, never as a JSON string."""
    changes = {"scores": [{"德": 70}, {"德": 90.5}], "text": 'tab\there \\ 引号"'}
    encoded = RawJSON(orjson.dumps(changes).decode())
    row = (timezone.now(), "系统", "update", "x.y", "1", "r", encoded, "raw")
    fields = ["at", "actor_label", "action", "model", "object_id", "object_repr", "changes", "batch"]
    bulk_insert(AuditEntry, [row], fields=fields)
    entry = AuditEntry.objects.get(batch="raw")
    assert entry.changes == changes

    rule = PolicyRule.objects.create(kind=RuleKind.QUARTER_THRESHOLDS, key="raw", params={"a": 1})
    bulk_update_rows(PolicyRule, ["params"], [(rule.pk, RawJSON('{"b": [1, "二"]}'))])
    rule.refresh_from_db()
    assert rule.params == {"b": [1, "二"]}


def test_instances_get_primary_keys_and_are_marked_saved(tree):
    cadres = [Cadre(**cadre_row(tree["town_a"], i)) for i in range(3)]
    bulk_insert(Cadre, cadres)
    assert all(c.pk is not None and not c._state.adding for c in cadres)
    assert {c.pk: c.name for c in cadres} == dict(Cadre.objects.values_list("pk", "name"))
    # The sequence moved past them: an ordinary save gets a new id.
    later = CadreFactory(unit=tree["town_a"])
    assert later.pk not in {c.pk for c in cadres}


def test_reserved_primary_keys_are_never_handed_out_again(tree):
    reserved = reserve_pks(Cadre, 5)
    assert len(set(reserved)) == 5
    assert reserved == sorted(reserved)
    other = CadreFactory(unit=tree["town_a"])
    assert other.pk not in reserved
    bulk_insert(Cadre, [cadre_row(tree["town_a"], i, id=pk) for i, pk in enumerate(reserved)])
    assert set(Cadre.objects.values_list("pk", flat=True)) == {*reserved, other.pk}


def test_tuple_rows_with_fields_and_per_row_defaults(db):
    rows = ((f"kind{i}", {"n": i}) for i in range(3))  # a generator is fine
    assert bulk_insert(Job, rows, fields=["kind", "params"]) == 3
    jobs = list(Job.objects.order_by("kind"))
    assert [j.params for j in jobs] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert len({j.id for j in jobs}) == 3  # uuid4 default computed for each row
    assert all(isinstance(j.id, uuid.UUID) for j in jobs)
    assert {j.state for j in jobs} == {JobState.PENDING}
    assert all(j.created_at is not None and j.started_at is None for j in jobs)


def test_constants_are_given_to_every_row_of_tuples_and_dicts(db):
    at = timezone.now()
    fixed = {"state": JobState.DONE, "started_at": at, "params": {"same": "值\t"}}
    assert bulk_insert(Job, [("a",), ("b",)], fields=["kind"], constants=fixed) == 2
    bulk_insert(Job, [{"kind": "c"}], constants=fixed)
    got = {j.kind: (j.state, j.started_at, j.params) for j in Job.objects.all()}
    assert got == {k: (JobState.DONE, at, {"same": "值\t"}) for k in "abc"}
    with pytest.raises(TypeError):  # a field given twice
        bulk_insert(Job, [("d", JobState.FAILED)], fields=["kind", "state"], constants=fixed)
    assert not Job.objects.filter(kind="d").exists()


def test_update_constants_are_set_on_every_row(db):
    jobs = [Job.objects.create(kind=k, params={"n": i}) for i, k in enumerate("ab")]
    Job.objects.create(kind="c")
    at = timezone.now()
    bulk_update_rows(
        Job, ["params"], [(j.pk, {"n": 10 + i}) for i, j in enumerate(jobs)], constants={"finished_at": at}
    )
    got = {j.kind: (j.params, j.finished_at) for j in Job.objects.all()}
    assert got == {"a": ({"n": 10}, at), "b": ({"n": 11}, at), "c": ({}, None)}


def test_gc_paused_pauses_the_collector_and_restores_it():
    import gc

    from core.bulk import gc_paused

    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one restores what it found
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()


def test_null_after_a_value_in_the_same_column_stays_null(db):
    at = timezone.now()
    rows = [("a", at, "x"), ("b", None, ""), ("c", at, "x"), ("d", None, "")]
    bulk_insert(Job, rows, fields=["kind", "started_at", "error"])
    got = dict(Job.objects.values_list("kind", "started_at"))
    assert got == {"a": at, "b": None, "c": at, "d": None}


def test_text_converter_keeps_null_after_a_repeated_value():
    convert = _converter(models.CharField(max_length=10, null=True), connection)
    assert [convert(v) for v in ["a", "a", None, "a\tb", None]] == ["a", "a", "\\N", "a\\tb", "\\N"]


def test_decimal_converter_writes_decimals_as_django_would():
    from decimal import Decimal

    convert = _converter(models.DecimalField(max_digits=12, decimal_places=2, null=True), connection)
    assert [convert(v) for v in [Decimal("2400.00"), Decimal("1.2"), Decimal("10"), None]] == [
        "2400.00",
        "1.2",
        "10",
        "\\N",
    ]
    # more places than the column (the server rounds), or not a Decimal: Django's way, as before
    assert convert(Decimal("1.235")) == "1.235"
    assert convert(3) == "3"
    assert convert("2.5") == "2.5"
    assert convert(Decimal("1E+2")) == "1E+2" and convert(Decimal("-0.50")) == "-0.50"


def test_tuple_rows_without_fields_are_refused(db):
    with pytest.raises(TypeError, match="fields"):
        bulk_insert(Job, [("kind", {})])


def test_booleans_and_model_instances_as_foreign_keys(tree):
    a = CadreFactory(unit=tree["town_a"])
    b = CadreFactory(unit=tree["town_a"])
    bulk_insert(
        TeamMembership,
        [
            {
                "unit": tree["town_a"],
                "cadre": a,
                "role_title": "党委书记",
                "is_main_leader": True,
                "order": 0,
            },
            {"unit_id": tree["town_a"].pk, "cadre_id": b.pk, "role_title": "镇长", "is_main_leader": False},
        ],
    )
    got = {m.cadre_id: (m.is_main_leader, m.order) for m in TeamMembership.objects.all()}
    assert got == {a.pk: (True, 0), b.pk: (False, 0)}


def test_many_rows_across_batches(tree):
    rows = (cadre_row(tree["town_a"], i, notes=f"第{i}行\t{TRICKY[i % len(TRICKY)]}") for i in range(1200))
    assert bulk_insert(Cadre, rows, batch_size=7) == 1200
    assert Cadre.objects.count() == 1200
    assert Cadre.objects.get(name="干部1199").notes == f"第1199行\t{TRICKY[1199 % len(TRICKY)]}"


def test_a_failing_row_writes_nothing(tree):
    rows = [cadre_row(tree["town_a"], 1), cadre_row(tree["town_a"], 2)]
    rows[1]["id_number"], rows[1]["id_number_hash"] = rows[0]["id_number"], rows[0]["id_number_hash"]
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(Cadre, rows)
    assert not Cadre.objects.exists()


def test_empty_input_writes_nothing(db):
    assert bulk_insert(Cadre, []) == 0


@postgres_only
def test_postgresql_writes_with_copy_not_insert(tree):
    with CaptureQueriesContext(connection) as queries:
        bulk_insert(Cadre, [cadre_row(tree["town_a"], i) for i in range(50)])
    assert Cadre.objects.count() == 50
    assert not [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]


@postgres_only
def test_nul_characters_are_refused_with_a_clear_error(tree):
    with pytest.raises(ValueError, match="NUL"), transaction.atomic():
        bulk_insert(Cadre, [cadre_row(tree["town_a"], 1, notes="a\x00b")])
    assert not Cadre.objects.exists()


def test_chunk_reader_serves_reads_across_chunk_boundaries():
    reader = _ChunkReader(iter(["abc", "", "defg", "h"]))
    assert reader.read(2) == "ab"
    assert reader.read(3) == "cde"
    assert reader.read(10) == "fgh"
    assert reader.read(10) == ""


# ---------------------------------------------------------------- pick / any_of


def test_pick_narrows_by_a_long_list_in_one_query(tree):
    cadres = [CadreFactory(unit=tree["town_a"]) for _ in range(5)]
    wanted = {cadres[0].pk, cadres[3].pk, 10**12}  # an id that does not exist is harmless
    with CaptureQueriesContext(connection) as queries:
        got = set(pick(Cadre.objects.all(), "pk", wanted).values_list("pk", flat=True))
    assert got == {cadres[0].pk, cadres[3].pk}
    assert len(queries.captured_queries) == 1
    sql = queries.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql  # one array parameter, whatever the length
    else:
        assert " IN (" in sql


def test_pick_works_on_text_and_foreign_key_columns(tree):
    a, b = CadreFactory(unit=tree["town_a"]), CadreFactory(unit=tree["town_b"])
    by_number = pick(Cadre.objects.all(), "id_number_hash", [a.id_number_hash, "不存在"])
    assert list(by_number.values_list("pk", flat=True)) == [a.pk]
    by_unit = pick(Cadre.objects.all(), "unit", [tree["town_b"].pk])
    assert list(by_unit.values_list("pk", flat=True)) == [b.pk]
    assert not pick(Cadre.objects.all(), "pk", []).exists()


def test_pick_over_sqlites_limit_reads_everything_for_the_caller_to_filter(tree, monkeypatch):
    a, b = CadreFactory(unit=tree["town_a"]), CadreFactory(unit=tree["town_a"])
    monkeypatch.setattr("core.bulk.SQLITE_IN_LIMIT", 1)
    got = set(pick(Cadre.objects.all(), "pk", [a.pk, 10**12]).values_list("pk", flat=True))
    if connection.vendor == "postgresql":
        assert got == {a.pk}
    else:
        assert got == {a.pk, b.pk}  # the documented superset


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the estimate-then-scan rule is PostgreSQL's")
def test_pick_reads_everything_when_the_values_name_most_rows(tree, monkeypatch):
    cadres = [CadreFactory(unit=tree["town_a"]) for _ in range(4)]
    with connection.cursor() as cursor:  # the planner's statistics, which the rule reads
        cursor.execute("ANALYZE cadres_cadre")
    monkeypatch.setattr("core.bulk.SCAN_MIN", 1)
    with CaptureQueriesContext(connection) as queries:  # 3 of 4: read all, after one plan
        most = set(pick(Cadre.objects.all(), "pk", [c.pk for c in cadres[:3]]).values_list("pk", flat=True))
    assert most == {c.pk for c in cadres}  # the documented superset
    assert queries.captured_queries[0]["sql"].startswith("EXPLAIN")
    assert "ANY(" not in queries.captured_queries[1]["sql"]
    few = pick(Cadre.objects.all(), "pk", [cadres[0].pk])  # 1 value for 4 rows: looked up
    assert set(few.values_list("pk", flat=True)) == {cadres[0].pk}


def test_array_literal_quotes_text_and_keeps_other_types_to_the_driver():
    from core.lookups import array_literal

    assert array_literal([3, 1, None]) == ("{3,1}", "bigint")
    assert array_literal(['a"b', "c\\d", "e f"]) == ('{"a\\"b","c\\\\d","e f"}', "text")
    assert array_literal([1, "a"]) is None  # mixed: psycopg2's own adaptation
    assert array_literal([datetime.date(2026, 1, 1)]) is None
    assert array_literal(["a\x00"]) is None


def test_any_of_matches_quotes_backslashes_and_never_a_cut_value(tree):
    odd = CadreFactory(unit=tree["town_a"], name='王"五\\')
    plain = CadreFactory(unit=tree["town_a"])
    # A value longer than the column must not be cut to the column's length and match.
    longer = plain.id_number_hash + "9"
    got = set(pick(Cadre.objects.all(), "name", [odd.name, "无"]).values_list("pk", flat=True))
    assert got == {odd.pk}
    assert not pick(Cadre.objects.all(), "id_number_hash", [longer]).exists()
    assert set(
        pick(Cadre.objects.all(), "id_number_hash", [plain.id_number_hash, longer]).values_list(
            "pk", flat=True
        )
    ) == {plain.pk}
    if connection.vendor == "postgresql":
        sql, params = pick(Cadre.objects.all(), "pk", [plain.pk]).query.sql_with_params()
        assert "::bigint[]" in sql and params == (f"{{{plain.pk}}}",)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner setting is PostgreSQL's")
def test_an_update_leaves_the_planner_setting_as_it_found_it_and_counts_its_rows(db):
    jobs = [Job.objects.create(kind=k) for k in "abc"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        before = cursor.fetchone()[0]
    with transaction.atomic():
        updated = bulk_update_rows(Job, ["params"], [(j.pk, {"n": i}) for i, j in enumerate(jobs)])
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            inside = cursor.fetchone()[0]
    assert updated == 3 and inside == before
    assert sorted(Job.objects.values_list("params", flat=True), key=str) == [{"n": 0}, {"n": 1}, {"n": 2}]
