"""赛马 rankings (incentives.ranking, services_tracks.tracks_rank): by total within a track, ties
broken by the 绩 score, then shared (1, 2, 2, 4); the standings written set-based; the ranking
job after publication and correction; the recall flag rule reading the standings."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import Role
from assessment.models import Assessment, Indicator, PeriodStatus
from assessment.services.periods import period_transition
from assessment.services.recompute import period_recompute
from assessment.services.scores import assessment_correct
from audit.models import AuditEntry
from core.models import Job
from incentives.ranking import Entrant, JiScores, rank
from incentives.services_tracks import JOB_KIND, tracks_rank
from recall.flags import flags_evaluate
from recall.models import Flag, TrackStanding
from tests.factories import CadreFactory, make_period, make_user

from .tracks_facts import annual, field, places, run
from .tracks_facts import rank as ranked


@pytest.fixture
def town(tree):
    return tree["town_a"]


# --------------------------------------------------------------------------- the rule


def test_a_track_ranks_its_cadres_by_total_highest_first(town):
    period = annual()
    for name, ji in (("甲", 70), ("乙", 90), ("丙", 80)):
        run(period, CadreFactory(unit=town, name=name), 绩=ji)
    assert ranked(period) == {"乙": (1, 3), "丙": (2, 3), "甲": (3, 3)}


def test_equal_totals_are_told_apart_by_the_ji_score(town):
    period = annual()
    # 80 everywhere: 80.00, 绩 24.00; 德 60 and 绩 90: also 80.00 (−3 + 3), but 绩 27.00
    run(period, CadreFactory(unit=town, name="平"))
    run(period, CadreFactory(unit=town, name="绩"), 德=60, 绩=90)
    result = ranked(period)
    totals = set(Assessment.objects.filter(period=period).values_list("total_score", flat=True))
    assert totals == {Decimal("80.00")}
    assert result == {"绩": (1, 2), "平": (2, 2)}


def test_equal_total_and_ji_share_the_place_and_the_next_place_is_skipped(town):
    period = annual()
    run(period, CadreFactory(unit=town, name="首"), 绩=90)  # 83.00
    run(period, CadreFactory(unit=town, name="乙"))  # 80.00, 绩 24.00
    run(period, CadreFactory(unit=town, name="丙"))  # 80.00, 绩 24.00
    run(period, CadreFactory(unit=town, name="末"), 绩=70)  # 77.00
    assert ranked(period) == {"首": (1, 4), "乙": (2, 4), "丙": (2, 4), "末": (4, 4)}


def test_a_shared_last_place_is_not_the_place_of_the_last_entrant(town):
    period = annual()
    run(period, CadreFactory(unit=town, name="首"), 绩=90)
    run(period, CadreFactory(unit=town, name="乙"))
    run(period, CadreFactory(unit=town, name="丙"))
    # competition ranking: both last hold place 2 of 3 (the flag rule reads them as 倒数第 2 名)
    assert ranked(period) == {"首": (1, 3), "乙": (2, 3), "丙": (2, 3)}


def test_a_cadre_without_a_total_is_not_ranked_nor_counted(town):
    period = annual()
    run(period, CadreFactory(unit=town, name="全"))
    run(period, CadreFactory(unit=town, name="缺"), 廉=None)
    run(period, CadreFactory(unit=town, name="差"), 绩=60)
    assert ranked(period) == {"全": (1, 2), "差": (2, 2)}
    assert tracks_rank(period=period)["unranked"] == 1


def test_each_track_ranks_on_its_own(town):
    period = annual()
    field(town, "甲乙", period, "rural")
    run(period, CadreFactory(unit=town, name="丙"), "project", 绩=60)
    assert ranked(period) == {"甲": (1, 2), "乙": (1, 2), "丙": (1, 1)}
    assert places(period, "project") == {"丙": (1, 1)}


def test_cadres_on_no_track_are_not_ranked(town):
    period = annual()
    run(period, CadreFactory(unit=town, name="无"), "")
    assert ranked(period) == {}


def test_the_ji_score_is_what_the_ji_indicators_add_to_the_total(town):
    period = annual()
    a = run(period, CadreFactory(unit=town, name="甲"), 绩=85.5)
    # 绩 weighs 30 of 100, full marks 100: 85.5 × 0.3 = 25.65
    assert JiScores(period).of(a.scores, a.cadre.kind, a.track) == Decimal("25.65")


def test_a_tracks_own_ji_indicator_counts_only_on_that_track(town):
    period = annual()
    scheme = period.scheme
    Indicator.objects.filter(scheme=scheme, code="绩").update(weight=20)
    Indicator.objects.create(
        scheme=scheme,
        code="振兴实绩",
        name="乡村振兴实绩",
        group="individual",
        track="rural",
        dimension="绩",
        weight=10,
    )
    a = run(period, CadreFactory(unit=town, name="甲"), "rural", 振兴实绩=100)
    b = run(period, CadreFactory(unit=town, name="乙"), "project")
    ji = JiScores(period)
    # rural: 80 × 0.2 + 100 × 0.1 = 26.00; project (scheme weights 90, scaled to 100): 80 × 20/90
    assert ji.of(a.scores, a.cadre.kind, "rural") == Decimal("26.00")
    assert ji.of(b.scores, b.cadre.kind, "project") == Decimal("17.78")


def test_rank_alone_orders_by_total_then_ji():
    entrants = [
        Entrant(1, Decimal("80"), Decimal("24")),
        Entrant(2, Decimal("80"), Decimal("27")),
        Entrant(3, Decimal("81"), Decimal("0")),
    ]
    assert rank(entrants) == {3: 1, 2: 2, 1: 3}


# --------------------------------------------------------------------------- the standings


def test_ranking_again_writes_nothing_and_keeps_the_rows(town):
    period = annual()
    field(town, "甲乙丙", period)
    ranked(period)
    before = dict(TrackStanding.objects.values_list("cadre_id", "pk"))
    audits = AuditEntry.objects.count()
    summary = tracks_rank(period=period)
    assert (summary["written"], summary["removed"], summary["changed"]) == (0, 0, 0)
    assert dict(TrackStanding.objects.values_list("cadre_id", "pk")) == before
    assert AuditEntry.objects.count() == audits


def test_a_moved_place_is_updated_in_place_and_a_cadre_gone_from_the_track_loses_the_row(town):
    period = annual()
    a, b, c = field(town, "甲乙丙", period)
    ranked(period)
    kept = TrackStanding.objects.get(cadre=b).pk
    Assessment.objects.filter(period=period, cadre=a).update(track="project")
    Assessment.objects.filter(period=period, cadre=b).update(
        scores={"德": 80, "能": 80, "勤": 80, "绩": 90, "廉": 80, "民主测评": 80}
    )
    assert ranked(period) == {"乙": (1, 2), "丙": (2, 2), "甲": (1, 1)}
    assert TrackStanding.objects.get(cadre=b).pk == kept
    assert not TrackStanding.objects.filter(cadre=a, track="rural").exists()


def test_a_ranking_that_changes_standings_is_audited_on_the_period(town):
    period = annual()
    field(town, "甲乙", period)
    ranked(period)
    entry = AuditEntry.objects.filter(model="assessment.period", object_id=str(period.pk)).latest("id")
    assert "1 条赛道共 2 人参加排名，名次变化 2 人" in str(entry.changes)


def test_a_quarterly_period_is_not_ranked(town):
    period = make_period(year=2025, quarter=1, status="published")
    with pytest.raises(ValidationError, match="季度平时考核不排名"):
        tracks_rank(period=period)


# --------------------------------------------------------------------------- the job and its triggers


def test_publishing_an_annual_period_ranks_it(tree, town, django_capture_on_commit_callbacks):
    head = make_user("head_city", Role.HEAD, tree["city"])
    period = annual(status="grading")
    field(town, "甲乙", period)
    run(period, CadreFactory(unit=town, name="丙"), 绩=70)
    with django_capture_on_commit_callbacks(execute=True):
        period_transition(actor=head, period=period, to=PeriodStatus.PUBLISHED)
    assert places(period) == {"甲": (1, 3), "乙": (1, 3), "丙": (3, 3)}
    assert Job.objects.filter(kind=JOB_KIND, params__period=period.pk, state="done").exists()


def test_a_correction_of_a_published_result_reranks(tree, town, django_capture_on_commit_callbacks):
    staff = make_user("staff_city", Role.STAFF, tree["city"])
    period = annual()
    field(town, "甲乙", period)
    low = run(period, CadreFactory(unit=town, name="丙"), 绩=70)
    ranked(period)
    with django_capture_on_commit_callbacks(execute=True):
        assessment_correct(actor=staff, assessment=low, reason="绩效材料补录", scores={"绩": 100})
    assert places(period)["丙"] == (1, 3)


def test_an_open_period_is_not_ranked_by_its_recomputations(town, django_capture_on_commit_callbacks):
    period = annual(status="grading")
    field(town, "甲乙", period)
    with django_capture_on_commit_callbacks(execute=True):
        period_recompute(period_id=period.pk)
    assert not TrackStanding.objects.exists()


# --------------------------------------------------------------------------- the recall flag rule


def test_the_last_of_a_track_two_periods_running_is_flagged(town, django_capture_on_commit_callbacks):
    """recall's default flag_track rule (末位, 2 periods) reads the standings this ranking writes."""
    last = CadreFactory(unit=town, name="末")
    for year in (2024, 2025):
        period = annual(year)
        field(town, "甲乙" if year == 2024 else "丙丁", period)
        run(period, last, 绩=60)
        period_recompute(period_id=period.pk, force=True)  # (its own flag job never runs here)
        with django_capture_on_commit_callbacks(execute=True) as queued:
            tracks_rank(period=period)  # queues the flag job for the cadres whose standing changed
        assert len(queued) == 1
    jobs = Job.objects.filter(kind="recall.flags").values_list("params", flat=True)
    assert all(last.pk in params["cadre_ids"] for params in jobs)  # narrowed to those whose place changed
    flag = Flag.objects.get(cadre=last)
    assert flag.rule_key == "flag_track:bottom_2"
    assert [f["value"] for f in flag.facts] == ["第 3 名，共 3 名（末位）", "第 3 名，共 3 名（末位）"]
    assert "乡村振兴" in flag.facts[0]["label"]


def test_last_in_one_period_only_raises_no_flag(town):
    last = CadreFactory(unit=town, name="末")
    for year in (2024, 2025):
        period = annual(year)
        field(town, "甲乙", period)
        run(period, last, 绩=60 if year == 2025 else 90)
        ranked(period)
    flags_evaluate()
    assert not Flag.objects.filter(cadre=last).exists()


def test_a_shared_last_place_two_periods_running_raises_no_default_flag(town):
    """Stated: with competition ranking two cadres sharing the last place hold 倒数第 2 名, so
    the default 末位 rule does not flag them (a unit wanting them flagged sets bottom 2)."""
    a, b = CadreFactory(unit=town, name="甲"), CadreFactory(unit=town, name="乙")
    for year in (2024, 2025):
        period = annual(year)
        run(period, CadreFactory(unit=town, name=f"首{year}"), 绩=90)
        run(period, a)
        run(period, b)
        ranked(period)
    flags_evaluate()
    assert not Flag.objects.filter(cadre__in=[a, b]).exists()
