"""Helpers for the statistics tests: cadres made in bulk (valid records, their ID hash set as
``Cadre.save`` would), and recall cases run through every step of the services."""

import datetime
import itertools

from cadres import idnumber
from cadres.models import Cadre, CadreKind, Gender, Identity, Rank, Unit
from recall import services
from recall.models import CaseSource, Outcome, RecallCase, Result, Situation
from tests.factories import make_id

# [002] counts by these levels; the kind, rank and post each level is given here.
LEVEL_KINDS = {
    "chu": (CadreKind.LEADER_CHU, Rank.FU_CHU, "副县长"),
    "ke": (CadreKind.LEADER_KE, Rank.FU_KE, "副局长"),
    "general": (CadreKind.GENERAL, Rank.STAFF, "科员"),
}

_names = itertools.count(1)
DAY = datetime.timedelta(days=1)


def bulk_cadres(
    unit: Unit, n: int, level: str = "general", *, born_from: int = 1966, rank=None
) -> list[Cadre]:
    """``n`` valid cadres of ``unit`` in one INSERT; birth dates spread so ID numbers stay unique."""
    kind, default_rank, title = LEVEL_KINDS[level]
    cadres = []
    for i in range(n):
        born = datetime.date(born_from + i % 15, 1 + i % 12, 1 + (i // 12) % 28)
        cadre = Cadre(
            unit=unit,
            name=f"干部{next(_names):05d}",
            gender=Gender.MALE,
            id_number=make_id(born),
            birth_date=born,
            work_start_date=born.replace(year=born.year + 22),
            political_status="cpc",
            party_join_date=born.replace(year=born.year + 25),
            identity=Identity.CIVIL_SERVANT,
            kind=kind,
            rank=rank or default_rank,
            post_title=title,
            status="on_post",
        )
        # Cadre.save computes the keyed hash; bulk_create does not call save
        cadre.id_number_hash = idnumber.digest(cadre.id_number)
        cadres.append(cadre)
    return Cadre.objects.bulk_create(cadres)


def situation() -> Situation:
    return Situation.objects.get(code="C01")


def recall_case(
    actor,
    cadre: Cadre,
    *,
    on: datetime.date,
    outcome: str,
    study_days: int = 3,
    penalty=None,
    situation_: Situation | None = None,
) -> RecallCase:
    """A case through every step: proposed and approved on ``on``, publicized, a study class from
    the next day, the bonus withheld (``penalty``), followed up, and its ``outcome``."""
    case = services.case_propose(
        actor=actor,
        cadre=cadre,
        source=CaseSource.SITUATION,
        situation=situation_ or situation(),
        reason="工作不在状态，敷衍了事",
        on=on,
    )
    services.case_approve(actor=actor, case=case, on=on)
    services.case_publicize(actor=actor, case=case, where="机关单位、报刊电视、网络媒体", on=on)
    start = on + DAY
    end = start + (study_days - 1) * DAY
    services.case_study(
        actor=actor,
        case=case,
        start=start,
        end=end,
        content="约谈提醒、业务培训、道德教育",
        attendance="full",
        fee="300",
    )
    if penalty is not None:
        services.case_penalize(actor=actor, case=case, amount=penalty, note="扣发部分绩效奖励", on=end + DAY)
    passed = outcome == Outcome.BACK_TO_POST
    services.case_follow_up(
        actor=actor,
        case=case,
        result=Result.PASSED if passed else Result.FAILED,
        discipline_officer="王纪检",
        org_officer="李组织",
        on=end + 2 * DAY,
    )
    return services.case_outcome(
        actor=actor,
        case=case,
        outcome=outcome,
        on=end + 3 * DAY,
        new_post_title="办事员" if outcome == Outcome.TRANSFER else "",
    )
