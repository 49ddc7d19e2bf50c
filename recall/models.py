"""Recall and retraining (干部召回管理, [002]) and "不适宜担任现职" flags with adjustment decisions.

Policy (points window and threshold, study-class length, front-line months, the head's deadline,
the flag rules) is ``assessment.PolicyRule`` rows of the recall kinds, inherited down the org tree
like the grading policy; the catalogue of 惰政 situations is data too. Every step of a case is a
``RecallStep`` row (who, when, what) besides the audit trail.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from assessment.models import Period
from cadres.models import Cadre, CadreKind, Rank, Unit


class SituationGroup(models.TextChoices):
    CANNOT = "cannot", "不会干"
    UNWILLING = "unwilling", "不想干"
    POLITICAL = "political", "违反政治纪律“十严禁”"
    STYLE = "style", "违反作风要求“十不准”"
    LAX = "lax", "慵懒散慢浮"


class Cause(models.TextChoices):
    """What lies behind a case; the case page suggests the treatment that fits ([002] 分类施策)."""

    ABILITY = "ability", "能力不足、素质不高"
    LAX = "lax", "工作散慢、得过且过"
    DISUNITY = "disunity", "闹不团结、群众反映大"
    ABSENTEEISM = "absenteeism", "不能正常履职、长期旷工"
    DISCIPLINE = "discipline", "违反纪律和作风要求"


class Situation(models.Model):
    """One of the 惰政 situations of the catalogue (30 in [002]); editable policy data."""

    group = models.CharField("类别", max_length=20, choices=SituationGroup.choices)
    code = models.CharField("编号", max_length=20, unique=True)
    name = models.CharField("情形", max_length=200)
    points = models.PositiveSmallIntegerField("记分", default=2, help_text="记分制下每次记的分数。")
    cause = models.CharField("问题性质", max_length=20, choices=Cause.choices, default=Cause.LAX)
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "惰政情形"
        verbose_name_plural = "惰政情形"
        ordering = ["order", "id"]

    def __str__(self):
        return f"{self.code} {self.name}"


class NegativeListEntry(models.Model):
    """A unit's 负面清单: the situations it names for its own cadres (and its subtree)."""

    unit = models.ForeignKey(
        Unit, verbose_name="单位", on_delete=models.CASCADE, related_name="negative_list"
    )
    situation = models.ForeignKey(Situation, verbose_name="情形", on_delete=models.PROTECT, related_name="+")
    note = models.CharField("具体表现", max_length=200, blank=True)
    created_at = models.DateTimeField("列入时间", auto_now_add=True)

    class Meta:
        verbose_name = "负面清单条目"
        verbose_name_plural = "负面清单条目"
        ordering = ["unit", "situation__order"]
        constraints = [models.UniqueConstraint(fields=["unit", "situation"], name="negative_list_once")]

    def __str__(self):
        return f"{self.unit}：{self.situation.name}"


class PointRecord(models.Model):
    """记分制: one situation found once for a cadre, with its points (copied from the catalogue)."""

    cadre = models.ForeignKey(
        Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="recall_points"
    )
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    situation = models.ForeignKey(Situation, verbose_name="情形", on_delete=models.PROTECT, related_name="+")
    points = models.PositiveSmallIntegerField("记分")
    occurred_on = models.DateField("发生日期")
    detail = models.TextField("具体事实")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "记分记录"
        verbose_name_plural = "记分记录"
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["cadre", "occurred_on"], name="points_cadre_day")]

    def __str__(self):
        return f"{self.cadre} {self.situation.name} {self.points}分"


class CadreLevel(models.TextChoices):
    """How [002] counts recalled cadres."""

    CHU = "chu", "处级"
    KE = "ke", "科级"
    GENERAL = "general", "一般干部"


LEVEL_OF_KIND = {
    CadreKind.LEADER_CHU: CadreLevel.CHU,
    CadreKind.LEADER_KE: CadreLevel.KE,
    CadreKind.GENERAL: CadreLevel.GENERAL,
    CadreKind.VILLAGE: CadreLevel.GENERAL,
}


class CaseSource(models.TextChoices):
    SITUATION = "situation", "惰政情形"
    POINTS = "points", "记分达到召回分值"
    GRADE = "grade", "考核等次"
    FLAG = "flag", "不适宜担任现职预警"


class Stage(models.TextChoices):
    PROPOSED = "proposed", "已提议"
    APPROVED = "approved", "已批准召回"
    PUBLICIZED = "publicized", "已公开"
    STUDIED = "studied", "已完成召回学习"
    PENALIZED = "penalized", "已处理经济待遇"
    FOLLOWED_UP = "followed_up", "已跟踪考察"
    FRONTLINE = "frontline", "一线锻炼中"
    CLOSED = "closed", "已办结"
    REJECTED = "rejected", "未获批准"


OPEN_STAGES = [
    Stage.PROPOSED,
    Stage.APPROVED,
    Stage.PUBLICIZED,
    Stage.STUDIED,
    Stage.PENALIZED,
    Stage.FOLLOWED_UP,
    Stage.FRONTLINE,
]


class Attendance(models.TextChoices):
    FULL = "full", "全勤"
    PARTIAL = "partial", "部分缺勤"
    ABSENT = "absent", "未参加"


class Result(models.TextChoices):
    PASSED = "passed", "合格"
    FAILED = "failed", "不合格"


class Outcome(models.TextChoices):
    BACK_TO_POST = "back_to_post", "回原岗位"
    FRONTLINE = "frontline", "一线岗位或重点项目锻炼"
    TRANSFER = "transfer", "转岗"
    REMOVAL = "removal", "免职"
    DEMOTION = "demotion", "降职"
    GRADE_DOWN = "grade_down", "降级"
    AWAITING = "awaiting", "待岗"
    DISMISSAL = "dismissal", "辞退"
    TERMINATION = "termination", "解聘"
    STEP_BACK_REMOVAL = "step_back_removal", "退居二线（免职）"
    STEP_BACK_NON_LEADING = "step_back_non_leading", "退居二线（改任非领导职务）"
    STEP_BACK_RETIRE = "step_back_retire", "退居二线（退休）"


# Outcomes that end a case; FRONTLINE opens a stint under its own follow-up instead.
FINAL_OUTCOMES = [o for o in Outcome.values if o != Outcome.FRONTLINE]
STEP_BACK_OUTCOMES = [Outcome.STEP_BACK_REMOVAL, Outcome.STEP_BACK_NON_LEADING, Outcome.STEP_BACK_RETIRE]


class RecallCase(models.Model):
    """One recall of one cadre, from proposal to outcome."""

    cadre = models.ForeignKey(
        Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="recall_cases"
    )
    # The unit the case is addressed to (the cadre's unit when proposed): scope, and the unit
    # whose main leader answers for leaving it untouched.
    unit = models.ForeignKey(Unit, verbose_name="所在单位", on_delete=models.PROTECT, related_name="+")
    level = models.CharField("干部层级", max_length=10, choices=CadreLevel.choices)
    source = models.CharField("召回依据", max_length=20, choices=CaseSource.choices)
    situation = models.ForeignKey(
        Situation, verbose_name="惰政情形", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    flag = models.ForeignKey(
        "Flag", verbose_name="预警", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    period = models.ForeignKey(
        Period, verbose_name="考核期", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cause = models.CharField("问题性质", max_length=20, choices=Cause.choices)
    facts = models.JSONField("事实依据", default=list, blank=True)
    reason = models.TextField("召回理由")
    stage = models.CharField("环节", max_length=20, choices=Stage.choices, default=Stage.PROPOSED)
    status_before = models.CharField("召回前状态", max_length=20, blank=True)

    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_on = models.DateField("提议日期")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_on = models.DateField("批准日期", null=True, blank=True)
    approval_note = models.TextField("审批意见", blank=True)

    publicized_on = models.DateField("公开日期", null=True, blank=True)
    publicized_where = models.CharField("公开范围", max_length=200, blank=True)

    study_start = models.DateField("学习班开始", null=True, blank=True)
    study_end = models.DateField("学习班结束", null=True, blank=True)
    study_content = models.TextField("学习内容", blank=True)
    attendance = models.CharField("出勤", max_length=20, choices=Attendance.choices, blank=True)
    study_fee = models.DecimalField(
        "学习费、生活费（元）", max_digits=10, decimal_places=2, null=True, blank=True
    )

    bonus_withheld = models.DecimalField(
        "扣发绩效奖励（元）", max_digits=10, decimal_places=2, null=True, blank=True
    )
    bonus_withheld_full = models.BooleanField("扣发全年绩效奖励", default=False)
    penalty_note = models.TextField("经济处理说明", blank=True)

    followup_on = models.DateField("跟踪考察日期", null=True, blank=True)
    followup_result = models.CharField("考察结果", max_length=10, choices=Result.choices, blank=True)
    followup_discipline_officer = models.CharField("纪检部门考察人", max_length=50, blank=True)
    followup_org_officer = models.CharField("组织部门考察人", max_length=50, blank=True)
    followup_note = models.TextField("考察意见", blank=True)

    frontline_post = models.CharField("锻炼岗位或项目", max_length=100, blank=True)
    frontline_start = models.DateField("锻炼开始", null=True, blank=True)
    frontline_months = models.PositiveSmallIntegerField("锻炼期限（月）", null=True, blank=True)
    frontline_result = models.CharField("锻炼考察结果", max_length=10, choices=Result.choices, blank=True)
    frontline_checked_on = models.DateField("锻炼考察日期", null=True, blank=True)
    frontline_discipline_officer = models.CharField("锻炼考察纪检部门考察人", max_length=50, blank=True)
    frontline_org_officer = models.CharField("锻炼考察组织部门考察人", max_length=50, blank=True)

    outcome = models.CharField("处理结果", max_length=30, choices=Outcome.choices, blank=True)
    outcome_on = models.DateField("处理日期", null=True, blank=True)
    outcome_note = models.TextField("处理说明", blank=True)
    new_post_title = models.CharField("新任职务", max_length=100, blank=True)
    new_rank = models.CharField("新职级", max_length=20, choices=Rank.choices, blank=True)
    # 待岗: only the basic salary is paid while it lasts ([002]).
    basic_salary_only = models.BooleanField("待岗期间只发基本工资", default=False)

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "召回案件"
        verbose_name_plural = "召回案件"
        ordering = ["-proposed_on", "-id"]
        indexes = [
            models.Index(fields=["stage", "proposed_on"], name="recall_stage_day"),
            models.Index(fields=["cadre", "approved_on"], name="recall_cadre_approved"),
        ]
        constraints = [
            # One open case per cadre: a second proposal while one runs is a mistake.
            models.UniqueConstraint(
                fields=["cadre"],
                condition=Q(stage__in=OPEN_STAGES),
                name="recall_one_open_case",
                violation_error_message="该干部已有正在办理的召回案件。",
            )
        ]

    def __str__(self):
        return f"{self.cadre.name}召回案件（{self.proposed_on:%Y-%m-%d}）"

    @property
    def study_days(self) -> int | None:
        if self.study_start and self.study_end:
            return (self.study_end - self.study_start).days + 1
        return None

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


class RecallStep(models.Model):
    """One step of a case: who did what, when, with the data the step recorded."""

    case = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField("步骤", max_length=30)
    label = models.CharField("步骤名称", max_length=50)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("办理时间")
    on = models.DateField("日期")
    data = models.JSONField("记录内容", default=dict, blank=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "召回办理步骤"
        verbose_name_plural = "召回办理步骤"
        ordering = ["case", "at", "id"]

    def __str__(self):
        return f"{self.case_id} {self.label}"


class FlagStatus(models.TextChoices):
    OPEN = "open", "待研判"
    DISMISSED = "dismissed", "已排除"
    DECIDED = "decided", "已作出调整决定"
    CLOSED = "closed", "已自动关闭"


REVIEWED_FLAG_STATUSES = [FlagStatus.DISMISSED, FlagStatus.DECIDED]


class Flag(models.Model):
    """A "不适宜担任现职" candidate: which rule fired, on which facts. People decide."""

    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="flags")
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    rule_key = models.CharField("规则标识", max_length=30)
    rule_name = models.CharField("规则", max_length=100)
    # What the facts are about (a year, a set of cases): the same rule on the same anchor after
    # a review raises nothing new; new facts (another year) raise a new flag.
    anchor = models.CharField("事实范围", max_length=100)
    facts = models.JSONField("事实", default=list)
    status = models.CharField("状态", max_length=20, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    raised_at = models.DateTimeField("预警时间")
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    close_reason = models.CharField("关闭原因", max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField("研判时间", null=True, blank=True)
    review_reason = models.TextField("研判意见", blank=True)

    class Meta:
        verbose_name = "不适宜担任现职预警"
        verbose_name_plural = "不适宜担任现职预警"
        ordering = ["raised_at", "id"]
        # (status, raised_at, id): the 待办 list of open flags in that order stops after its first rows
        # (flags raised by one job share a raised_at; without the id every one was sorted)
        indexes = [models.Index(fields=["status", "raised_at", "id"], name="flag_status_raised_id")]
        constraints = [
            models.UniqueConstraint(
                fields=["cadre", "rule_key"], condition=Q(status="open"), name="flag_one_open_per_rule"
            ),
            models.UniqueConstraint(fields=["cadre", "rule_key", "anchor"], name="flag_once_per_anchor"),
        ]

    def __str__(self):
        return f"{self.cadre.name}：{self.rule_name}"


class AdjustmentMethod(models.TextChoices):
    LATERAL = "lateral", "平职调整"
    NON_LEADING = "non_leading", "改任职级/非领导职务"
    SUSPENSION = "suspension", "停职"
    REMOVAL = "removal", "免职"
    RESIGN_BLAME = "resign_blame", "引咎辞职"
    RESIGN_ORDERED = "resign_ordered", "责令辞职"
    DEMOTION = "demotion", "降职"
    RETIRE = "retire", "退休"


class DecisionStatus(models.TextChoices):
    PROPOSED = "proposed", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未获批准"


class AdjustmentDecision(models.Model):
    """An adjustment of a cadre found not fit for the post (能上能下), approved by a department head."""

    cadre = models.ForeignKey(
        Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="adjustments"
    )
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    flag = models.ForeignKey(
        Flag,
        verbose_name="来源预警",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
    )
    method = models.CharField("调整方式", max_length=20, choices=AdjustmentMethod.choices)
    step_back = models.BooleanField("退居二线", default=False)
    reason = models.TextField("调整理由")
    new_post_title = models.CharField("新任职务", max_length=100, blank=True)
    new_rank = models.CharField("新职级", max_length=20, choices=Rank.choices, blank=True)
    effective_on = models.DateField("生效日期", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=20, choices=DecisionStatus.choices, default=DecisionStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_on = models.DateField("提出日期")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_on = models.DateField("审批日期", null=True, blank=True)
    approval_note = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = "调整决定"
        verbose_name_plural = "调整决定"
        ordering = ["-proposed_on", "-id"]

    def __str__(self):
        return f"{self.cadre.name}：{self.get_method_display()}"


class TrackStanding(models.Model):
    """A cadre's place in a 赛马 track for a period, written by whoever ranks the tracks (the
    incentives work); the "bottom of a track two periods running" flag rule reads it."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="+")
    track = models.CharField("赛道", max_length=20)  # an assessment.RaceTrack code
    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField("名次")
    of_total = models.PositiveIntegerField("参赛人数")

    class Meta:
        verbose_name = "赛马排名"
        verbose_name_plural = "赛马排名"
        constraints = [
            models.UniqueConstraint(fields=["period", "track", "cadre"], name="track_standing_once")
        ]
        indexes = [models.Index(fields=["cadre", "period"], name="track_standing_cadre")]

    def __str__(self):
        from assessment.tracks import TrackTable

        return f"{TrackTable().name(self.track)} 第{self.position}/{self.of_total}名"

    @property
    def from_bottom(self) -> int:
        """1 for the last place."""
        return self.of_total - self.position + 1
