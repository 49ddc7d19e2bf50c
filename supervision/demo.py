"""Demo supervision records for ``seed_demo``: talks of every kind and 约谈 in every workflow
state, written through the services so the audit trail and the rules hold as for real data."""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cadres.models import Cadre, CadreKind, TeamMembership, Unit, UnitKind

from .models import FollowUp, Interview, InterviewKind, InterviewReason, ReasonAudience, SubjectType
from .services import interviews as svc

TALK_RECORDS = {
    InterviewKind.TALK: "了解思想和工作情况，听取意见建议，鼓励其担当作为。",
    InterviewKind.REMINDER: "就工作中出现的苗头性问题进行提醒，本人表示认真改正。",
    InterviewKind.INQUIRY: "就群众来信反映的问题发函询问，本人已书面说明情况。",
    InterviewKind.ADMONISH: "对其履职不力问题进行诫勉，责令作出书面检查。",
}


def _days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


@transaction.atomic
def seed_supervision(*, seed: int = 20261122) -> dict[str, int]:
    """Idempotent: does nothing if the demo already has interviews."""
    if Interview.objects.exists():
        return {}
    rng = random.Random(seed)
    staff = User.objects.get(username="zzb_staff")
    head = User.objects.get(username="zzb_head")
    leaders = list(
        Cadre.objects.filter(kind__in=[CadreKind.LEADER_KE, CadreKind.LEADER_CHU])
        .select_related("unit")
        .order_by("id")[:400]
    )
    everyone = list(Cadre.objects.select_related("unit").order_by("id")[:800])
    leader_reasons = list(InterviewReason.objects.filter(audience=ReasonAudience.LEADER))
    team_reasons = list(InterviewReason.objects.filter(audience=ReasonAudience.TEAM))
    townships = list(
        Unit.objects.filter(kind=UnitKind.TOWNSHIP, pk__in=TeamMembership.objects.values("unit_id")).order_by(
            "code"
        )
    )
    counts = {"talks": 0, "yuetan": 0}

    for _ in range(60):
        kind = rng.choice(
            [InterviewKind.TALK] * 6
            + [InterviewKind.REMINDER] * 2
            + [InterviewKind.INQUIRY, InterviewKind.ADMONISH]
        )
        cadre = rng.choice(everyone)
        svc.interview_record(
            actor=staff,
            kind=kind,
            subject_type=SubjectType.CADRE,
            cadre=cadre,
            reasons=[rng.choice(leader_reasons)] if kind != InterviewKind.TALK else [],
            conducted_on=_days_ago(rng.randint(1, 75)),
            location=rng.choice(["组织部谈话室", "乡镇党委会议室", "县委组织部二楼"]),
            interviewers=rng.choice(["组织部副部长 王明", "干部监督科科长 刘芳", "乡镇党委书记"]),
            record=TALK_RECORDS[kind],
        )
        counts["talks"] += 1

    # Every step is dated in workflow order: proposed, approved 3 days later, notice 4 days after
    # that, the talk 3 days after the notice.
    def propose(subject, ago):
        if isinstance(subject, Unit):
            return svc.yuetan_propose(
                actor=staff, subject_type=SubjectType.TEAM, unit=subject, reasons=rng.sample(team_reasons, 2),
                reason_detail="年度综合研判发现班子推进重点项目不力。", proposed_on=_days_ago(ago),
            )  # fmt: skip
        return svc.yuetan_propose(
            actor=staff, subject_type=SubjectType.CADRE, cadre=subject, reasons=rng.sample(leader_reasons, 2),
            reason_detail="群众反映工作作风漂浮，重点任务进度滞后。", proposed_on=_days_ago(ago),
        )  # fmt: skip

    def conduct(subject, ago):
        interview = propose(subject, ago + 10)
        svc.yuetan_approve(actor=head, interview=interview, note="同意约谈。", approved_on=_days_ago(ago + 7))
        svc.yuetan_send_notice(actor=staff, interview=interview, notice_sent_on=_days_ago(ago + 3))
        return svc.yuetan_conduct(
            actor=staff, interview=interview, conducted_on=_days_ago(ago), location="组织部约谈室",
            interviewers="组织部部长 张华", record="指出存在问题，提出限期整改要求，约谈对象表态认真整改。",
        )  # fmt: skip

    def aftermath(interview, ago):
        if interview.subject_type == SubjectType.TEAM:
            return svc.yuetan_record_aftermath(
                actor=staff, interview=interview, team_meeting_on=_days_ago(ago),
                team_meeting_report="召开党委会通报约谈情况，查摆问题4条，议定整改措施6条。",
            )  # fmt: skip
        return svc.yuetan_record_aftermath(
            actor=staff, interview=interview, main_leader_informed_on=_days_ago(ago)
        )

    subjects = rng.sample(leaders, 9) + townships[:3]
    rng.shuffle(subjects)
    # one 约谈 in each state, and a few more
    propose(subjects[0], 2)  # waiting for the head's approval
    svc.yuetan_approve(
        actor=head, interview=propose(subjects[1], 6), approve=False, note="情况已核实清楚，改为提醒谈话。",
        approved_on=_days_ago(4),
    )  # fmt: skip
    svc.yuetan_approve(actor=head, interview=propose(subjects[2], 5), approved_on=_days_ago(3))
    i = propose(subjects[3], 6)
    svc.yuetan_approve(actor=head, interview=i, approved_on=_days_ago(4))
    svc.yuetan_send_notice(actor=staff, interview=i, notice_sent_on=_days_ago(1))
    conduct(subjects[4], 26)  # report due within a week
    aftermath(conduct(subjects[5], 45), 44)  # report overdue
    i = aftermath(conduct(subjects[6], 35), 34)
    svc.yuetan_receive_report(
        actor=staff, interview=i, received_on=_days_ago(5), summary="提交书面整改报告，整改措施已落实。"
    )
    for ago, improved in ((90, True), (80, False)):
        i = aftermath(conduct(subjects[7 if improved else 8], ago), ago - 1)
        svc.yuetan_receive_report(
            actor=staff, interview=i, received_on=_days_ago(ago - 25), summary="提交整改报告。"
        )
        svc.yuetan_review(
            actor=head, interview=i, improved=improved, note="整改到位。" if improved else "整改效果不明显。",
            follow_up="" if improved else FollowUp.ADMONISH, reviewed_on=_days_ago(ago - 30),
        )  # fmt: skip
    for subject in subjects[9:12]:
        aftermath(conduct(subject, 50), 49)
    counts["yuetan"] = Interview.objects.filter(kind=InterviewKind.YUETAN).count()
    svc.reminders_scan()
    counts.update(_seed_records(rng, staff, everyone, leaders))
    return counts


def _seed_records(rng: random.Random, staff, everyone, leaders) -> dict[str, int]:
    """Problem clues in each state, a spot check of personal-matters reports (the 汉中 ratio:
    104 checked, 14 not truthful), and 述职评议 problem lists of township party secretaries."""
    from .models import CheckOutcome, ClueSource, QuarterCheckStatus
    from .services import records

    today = timezone.localdate()
    clue_cadres = rng.sample(everyone, 6)
    summaries = [
        "群众来信反映其在项目验收中把关不严。",
        "网络帖文反映其工作作风简单粗暴。",
        "巡察发现其分管领域资金拨付不规范。",
    ]
    for n, cadre in enumerate(clue_cadres):
        clue = records.clue_create(
            actor=staff, cadre=cadre, source=rng.choice(ClueSource.values), received_on=_days_ago(20 + 10 * n),
            summary=summaries[n % 3],
        )  # fmt: skip
        if n >= 3:  # the first three stay unverified: those cadres show as 暂缓使用
            status = "unfounded" if n == 3 else "confirmed"
            records.clue_verify(
                actor=staff,
                clue=clue,
                status=status,
                verified_on=_days_ago(5 + n),
                conclusion="经核查，已查明。",
            )
    checked = rng.sample(everyone, min(104, len(everyone)))
    for n, cadre in enumerate(checked):
        untruthful = n < 14
        records.matters_check_create(
            actor=staff, cadre=cadre, year=today.year - 1, checked_on=_days_ago(60 + n % 30),
            outcome=CheckOutcome.UNTRUTHFUL if untruthful else CheckOutcome.TRUTHFUL,
            handling=("admonish" if n < 2 else "reminder") if untruthful else "",
            note="漏报房产信息。" if untruthful else "",
        )  # fmt: skip
    secretaries = [
        m.cadre
        for m in TeamMembership.objects.filter(
            is_main_leader=True, unit__kind=UnitKind.TOWNSHIP
        ).select_related("cadre__unit")[:6]
    ]
    problems = ["村级集体经济发展办法不多", "党员教育管理不够经常", "软弱涣散村整顿进度慢"]
    items = 0
    for secretary in secretaries:
        for year, text in (
            (today.year - 1, problems[0]),
            (today.year, problems[1]),
            (today.year, problems[2]),
        ):
            item = records.review_item_create(
                actor=staff, secretary=secretary, year=year, problem=text, measure="制定整改方案，明确责任人和时限。",
                deadline=datetime.date(year, 12, 31),
            )  # fmt: skip
            items += 1
            if year < today.year and rng.random() < 0.5:
                records.review_item_check(
                    actor=staff, item=item, year=year, quarter=4, status=QuarterCheckStatus.DONE
                )
                records.review_item_close(
                    actor=staff,
                    item=item,
                    closed_on=datetime.date(year, 12, 20),
                    evidence="整改台账及验收材料。",
                )
    return {"clues": len(clue_cadres), "matters_checks": len(checked), "review_items": items}
