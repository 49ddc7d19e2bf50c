"""Assessment periods, indicator schemes, scores, grades and the grading policy.

The policy (thresholds, quota, caps, influence periods) is stored as ``PolicyRule`` rows; the
engine in ``grading.py`` evaluates them. Nothing about a grade is decided in code constants.
"""

import uuid
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from cadres.models import Cadre, CadreKind, Unit


class Grade(models.TextChoices):
    """Every grade value, stored as the official term so reports and filters read naturally."""

    EXCELLENT = "优秀", "优秀"
    COMPETENT = "称职", "称职"
    BASIC = "基本称职", "基本称职"
    INCOMPETENT = "不称职", "不称职"
    UNDETERMINED = "不定等次", "不定等次"
    # not assessed at all this year (long leave, where the policy says so); A1517 code 6
    NOT_ASSESSED = "不参加考核", "不参加考核"
    # quarterly 平时考核
    GOOD = "好", "好"
    FAIR = "较好", "较好"
    AVERAGE = "一般", "一般"
    POOR = "较差", "较差"
    # leadership teams (优秀, 一般 and 较差 are shared with the scales above)
    TEAM_GOOD = "良好", "良好"


# Each scale from best to worst; a cap "at most X" keeps the worse of the grade and X.
INDIVIDUAL_SCALE = [Grade.EXCELLENT, Grade.COMPETENT, Grade.BASIC, Grade.INCOMPETENT]
QUARTER_SCALE = [Grade.GOOD, Grade.FAIR, Grade.AVERAGE, Grade.POOR]
TEAM_SCALE = [Grade.EXCELLENT, Grade.TEAM_GOOD, Grade.AVERAGE, Grade.POOR]

# grade_code as in 干部任免审批表 files (annual individual grades only).
GRADE_CODES = {
    Grade.EXCELLENT: 1,
    Grade.COMPETENT: 2,
    Grade.BASIC: 3,
    Grade.INCOMPETENT: 4,
    Grade.UNDETERMINED: 5,
    Grade.NOT_ASSESSED: 6,
}
# Annual outcomes that are no grade: they take no 优秀 place.
UNGRADED = (Grade.UNDETERMINED, Grade.NOT_ASSESSED)


class Dimension(models.TextChoices):
    DE = "德", "德"
    NENG = "能", "能"
    QIN = "勤", "勤"
    JI = "绩", "绩"
    LIAN = "廉", "廉"
    GENERAL = "综合", "综合（如民主测评）"


class IndicatorGroup(models.TextChoices):
    COMMON = "common", "共性指标"
    INDIVIDUAL = "individual", "个性指标"


class IndicatorSource(models.TextChoices):
    """Where an indicator's score comes from: typed (the grid, the sheet, the API) or computed
    during recomputation from another record (``WORKORDERS``: the cadre's 民情工单 in the period,
    mapped by the WORKORDER_SCORE rule)."""

    INPUT = "", "录入（评分表、表格导入、接口）"
    WORKORDERS = "workorders", "民情工单（按群众评价自动计分）"


class RaceTrack(models.Model):
    """A 赛马 track as data ([004]; 乡村振兴 rural, 项目建设 project, 为企服务 enterprise and
    基层治理 governance are seeded). ``code`` is what indicators, assessments and standings
    store; ``assessment.tracks`` reads the table for everyone else."""

    code = models.SlugField("赛道代码", max_length=20, unique=True)
    name = models.CharField("赛道名称", max_length=50, unique=True)
    description = models.CharField("说明", max_length=200, blank=True)
    active = models.BooleanField("启用", default=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "赛马赛道"
        verbose_name_plural = "赛马赛道"
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class ConclusionCode(models.Model):
    """A code of 考核结论类别 (A1517, code set ZB18 of the 干部管理信息系统) as data: the
    national codes are seeded (1 优秀 … 6 未参加考核) and a department loads its own, sub-codes
    such as 5A included. ``grade`` is the grade exported under the code: one active code per
    grade; a code without one (a sub-code) is kept for reference."""

    code = models.CharField("代码", max_length=8, unique=True)
    name = models.CharField("名称", max_length=30)
    grade = models.CharField("对应等次", max_length=10, choices=Grade.choices, blank=True)
    active = models.BooleanField("启用", default=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "考核结论类别代码（A1517/ZB18）"
        verbose_name_plural = "考核结论类别代码（A1517/ZB18）"
        ordering = ["order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["grade"],
                condition=Q(active=True) & ~Q(grade=""),
                name="conclusion_code_one_active_per_grade",
                violation_error_message="该等次已有启用的代码。",
            )
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class PeriodStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    COLLECTING = "collecting", "采集评分"
    GRADING = "grading", "评定等次"
    PUBLISHED = "published", "已公布"
    ARCHIVED = "archived", "已归档"


# Periods whose grades follow changes (scores, interviews, policy) by themselves.
OPEN_STATUSES = (PeriodStatus.COLLECTING, PeriodStatus.GRADING)
# Periods whose scores may be entered.
SCORING_STATUSES = (PeriodStatus.COLLECTING, PeriodStatus.GRADING)


class Scheme(models.Model):
    """An indicator scheme (考核方案). A template has no period; a period's schemes are copies,
    one for all cadres (category blank) and optionally one per cadre category."""

    name = models.CharField("方案名称", max_length=100)
    period = models.ForeignKey(
        "Period",
        verbose_name="考核期",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schemes",
    )
    category = models.CharField(
        "干部类别", max_length=20, choices=CadreKind.choices, blank=True, help_text="留空表示适用于全部干部。"
    )
    quarterly = models.BooleanField("季度方案", default=False)
    description = models.TextField("说明", blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "考核方案"
        verbose_name_plural = "考核方案"
        constraints = [
            models.UniqueConstraint(
                fields=["period", "category"],
                condition=Q(period__isnull=False),
                name="scheme_one_per_category",
            ),
        ]

    def __str__(self):
        return self.name


class Indicator(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(
        "列名", max_length=30, help_text="评分表和接口中的列名，如“德”“民主测评”；同一方案内唯一。"
    )
    name = models.CharField("指标名称", max_length=100)
    group = models.CharField(
        "类别", max_length=20, choices=IndicatorGroup.choices, default=IndicatorGroup.COMMON
    )
    track = models.CharField(
        "适用赛道",
        max_length=20,
        blank=True,
        help_text="个性指标按赛道适用（赛道代码）；共性指标留空。",
    )
    dimension = models.CharField("维度", max_length=4, choices=Dimension.choices)
    source = models.CharField(
        "得分来源",
        max_length=20,
        choices=IndicatorSource.choices,
        default=IndicatorSource.INPUT,
        blank=True,
        help_text="“民情工单”指标的得分在计算等次时由干部本期的民情工单按规则折算，不能录入。",
    )
    weight = models.DecimalField(
        "权重(%)", max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    min_score = models.DecimalField("最低分", max_digits=6, decimal_places=2, default=Decimal("0"))
    max_score = models.DecimalField(
        "满分",
        max_digits=6,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("1"))],
    )
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "考核指标"
        verbose_name_plural = "考核指标"
        ordering = ["scheme", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="indicator_code_unique")]

    def __str__(self):
        return self.code


class Period(models.Model):
    """An assessment period: annual (quarter empty) or quarterly 平时考核."""

    name = models.CharField("名称", max_length=100)
    year = models.PositiveSmallIntegerField(
        "年度", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    quarter = models.PositiveSmallIntegerField(
        "季度", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    status = models.CharField("状态", max_length=20, choices=PeriodStatus.choices, default=PeriodStatus.DRAFT)
    scheme = models.ForeignKey(
        Scheme, verbose_name="考核方案", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    published_at = models.DateTimeField("公布时间", null=True, blank=True)
    computed_at = models.DateTimeField("最近计算时间", null=True, blank=True)

    class Meta:
        verbose_name = "考核期"
        verbose_name_plural = "考核期"
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["year"], condition=Q(quarter__isnull=True), name="period_one_annual"
            ),
            models.UniqueConstraint(
                fields=["year", "quarter"], condition=Q(quarter__isnull=False), name="period_one_per_quarter"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_annual(self) -> bool:
        return self.quarter is None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def kind_label(self) -> str:
        return "年度考核" if self.is_annual else f"第{self.quarter}季度平时考核"

    def titled(self, suffix: str) -> str:
        """The period's name followed by what a page or file holds, without saying 考核 twice:
        2026年度考核 + 考核结果 → 2026年度考核结果; 2025年度干部考核 + 考核等次 → 2025年度干部考核等次."""
        name = self.name.strip()
        if name.endswith("考核") and suffix.startswith("考核"):
            suffix = suffix[len("考核") :]
        return f"{name}{suffix}"

    @property
    def results_title(self) -> str:
        return self.titled("考核结果")


# 民主测评 vote counts of an assessment, best to worst, then 弃权: (field, the label a sheet
# column, the grid and messages use). All five empty: no vote recorded.
VOTE_FIELDS = (
    ("votes_excellent", "优秀票"),
    ("votes_competent", "称职票"),
    ("votes_basic", "基本称职票"),
    ("votes_incompetent", "不称职票"),
    ("votes_abstain", "弃权票"),
)
VOTE_NAMES = tuple(name for name, _ in VOTE_FIELDS)
VOTE_LABELS = dict(VOTE_FIELDS)


def votes_share(incompetent: int | None, total: int | None) -> Fraction | None:
    """不称职票 over all votes cast (弃权 included), exact, so a rule compares "more than one
    third" without rounding; None without votes (or none cast)."""
    if incompetent is None or not total:
        return None
    return Fraction(incompetent, total)


class Assessment(models.Model):
    """One cadre in one period: scores, the 民主测评 votes, and the grade with the explanation
    that produced it."""

    # No index of its own: the unique (period, cadre) and the (period, unit) index both lead
    # with it, and every index costs each row an import or a recomputation writes.
    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="assessments", db_index=False)
    cadre = models.ForeignKey(
        Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="assessments"
    )
    # The unit the cadre was assessed in (quota group, rank and scope), kept if the cadre moves.
    unit = models.ForeignKey(Unit, verbose_name="考核单位", on_delete=models.PROTECT, related_name="+")
    # a RaceTrack code (tracks are data)
    track = models.CharField("赛道", max_length=20, blank=True)
    scores = models.JSONField("指标得分", default=dict, blank=True)
    total_score = models.DecimalField("加权总分", max_digits=6, decimal_places=2, null=True, blank=True)
    rank_in_unit = models.PositiveIntegerField("单位内排名", null=True, blank=True)
    computed_grade = models.CharField("计算等次", max_length=10, choices=Grade.choices, blank=True)
    final_grade = models.CharField("最终等次", max_length=10, choices=Grade.choices, blank=True)
    grade_code = models.PositiveSmallIntegerField("等次代码", null=True, blank=True)
    explanation = models.JSONField("等次依据", default=list, blank=True)
    review_required = models.BooleanField("待复核", default=False)
    override_grade = models.CharField("调整后等次", max_length=10, choices=Grade.choices, blank=True)
    override_reason = models.TextField("调整理由", blank=True)
    # The grade a 复核/申诉 decision gave (``Appeal``): it wins over the computed and the
    # adjusted grade, and takes (or frees) its 优秀 place when the unit is graded again.
    appeal_grade = models.CharField("复核等次", max_length=10, choices=Grade.choices, blank=True)
    votes_excellent = models.PositiveIntegerField("民主测评优秀票", null=True, blank=True)
    votes_competent = models.PositiveIntegerField("民主测评称职票", null=True, blank=True)
    votes_basic = models.PositiveIntegerField("民主测评基本称职票", null=True, blank=True)
    votes_incompetent = models.PositiveIntegerField("民主测评不称职票", null=True, blank=True)
    votes_abstain = models.PositiveIntegerField("民主测评弃权票", null=True, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # When a value the grade report shows (total, rank, grade, code, explanation, 待复核) last
    # changed: ``grade-reports/?updated_since=``. Written by the recomputation only for rows
    # whose outcome changed, and by the grade adjustments and corrections; not by score entry
    # alone (the report's values change when the recomputation runs). Not indexed: an index
    # on a column the recomputation writes would cost it its in-place (HOT) updates.
    grade_changed_at = models.DateTimeField("等次变更时间", null=True, blank=True)

    class Meta:
        verbose_name = "考核结果"
        verbose_name_plural = "考核结果"
        constraints = [
            models.UniqueConstraint(fields=["period", "cadre"], name="assessment_one_per_period"),
            # Votes are recorded whole or not at all: a share over part of the votes means nothing.
            models.CheckConstraint(
                condition=Q(**{f"{name}__isnull": True for name in VOTE_NAMES})
                | Q(**{f"{name}__isnull": False for name in VOTE_NAMES}),
                name="assessment_votes_all_or_none",
            ),
        ]
        indexes = [models.Index(fields=["period", "unit"], name="assessment_period_unit")]

    def __str__(self):
        return f"{self.period} {self.cadre_id}"

    @property
    def votes(self) -> dict[str, int] | None:
        """{field: count} of the five vote counts, or None when no vote is recorded."""
        counts = {name: getattr(self, name) for name in VOTE_NAMES}
        return None if all(v is None for v in counts.values()) else counts

    @property
    def votes_total(self) -> int | None:
        """All votes cast, 弃权 included; None when no vote is recorded."""
        counts = self.votes
        return None if counts is None else sum(v or 0 for v in counts.values())

    @property
    def votes_incompetent_share(self) -> Fraction | None:
        """不称职票 / all votes (弃权 included), an exact Fraction; None without votes."""
        return votes_share(self.votes_incompetent, self.votes_total)

    @staticmethod
    def audit_change_rows(name: str, old, new) -> list[tuple[str, str, str]] | None:
        """The audit trail shows scores one indicator a row, by its column name: 德 82.5 → 95."""
        if name != "scores":
            return None
        from audit.formatting import number_text

        def text(value):
            return "（空）" if value is None or value == "" else number_text(value)

        old, new = old or {}, new or {}
        rows = []
        for code in dict.fromkeys([*old, *new]):
            before, after = text(old.get(code)), text(new.get(code))
            if before != after:
                rows.append((code, before, after))
        return rows


class TeamAssessment(models.Model):
    """A unit's leadership team (领导班子) in an annual period: 优秀 / 良好 / 一般 / 较差."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="team_assessments")
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    total_score = models.DecimalField("班子得分", max_digits=6, decimal_places=2, null=True, blank=True)
    computed_grade = models.CharField("计算等次", max_length=10, choices=Grade.choices, blank=True)
    final_grade = models.CharField("最终等次", max_length=10, choices=Grade.choices, blank=True)
    explanation = models.JSONField("等次依据", default=list, blank=True)
    override_grade = models.CharField("调整后等次", max_length=10, choices=Grade.choices, blank=True)
    override_reason = models.TextField("调整理由", blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "班子考核结果"
        verbose_name_plural = "班子考核结果"
        constraints = [
            models.UniqueConstraint(fields=["period", "unit"], name="team_assessment_one_per_period")
        ]

    def __str__(self):
        return f"{self.period} {self.unit_id}"


class RuleKind(models.TextChoices):
    """What a policy row decides. ``key`` tells rows of one kind apart (e.g. the count)."""

    THRESHOLDS = "thresholds", "年度等次分数线"
    QUOTA = "quota", "优秀比例"
    QUARTER_THRESHOLDS = "quarter_thresholds", "季度等次分数线"
    TEAM_THRESHOLDS = "team_thresholds", "班子等次分数线"
    QUARTER_FEED = "quarter_feed", "季度结果影响年度等次"
    YUETAN_CADRE = "yuetan_cadre", "约谈次数限制个人等次"
    YUETAN_TEAM = "yuetan_team", "约谈次数限制班子等次"
    INFLUENCE = "influence", "处分影响期"
    PROBATION = "probation", "试用期不定等次"
    LONG_LEAVE = "long_leave", "长期请假不参加考核"
    INVESTIGATION = "investigation", "立案审查不定等次"
    MISSING_SCORES = "missing_scores", "缺项得分处理"
    APPEAL = "appeal", "复核申诉期限"
    # recall/: the points system, the limits of a case's steps, the 不适宜担任现职 flag rules
    RECALL_POINTS = "recall_points", "召回记分制"
    RECALL_LIMITS = "recall_limits", "召回办理期限"
    FLAG_GRADE = "flag_grade", "预警：年度等次"
    FLAG_INTERVIEWS = "flag_interviews", "预警：约谈诫勉次数"
    FLAG_RECALL = "flag_recall", "预警：召回情况"
    FLAG_VOTES = "flag_votes", "预警：民主测评不称职票"
    FLAG_TRACK = "flag_track", "预警：赛马末位"
    FLAG_INACTION = "flag_inaction", "预警：主要负责人不作为"
    # incentives/: the 三挂钩 lists, 赛马 boards, team pools, grassroots service and care
    BONUS_COEFFICIENTS = "bonus_coefficients", "绩效奖金系数"
    TEAM_POOL = "team_pool", "团队奖金池系数"
    COMMENDATION = "commendation", "评先选优条件"
    CS_AWARDS = "cs_awards", "公务员奖励"
    PRIORITY_USE = "priority_use", "优先使用条件"
    RESERVED_POST = "reserved_post", "乡镇党政正职定向选拔"
    YOUNG_SELECTION = "young_selection", "年轻干部比选"
    RANK_TENURE = "rank_tenure", "职级晋升年限"
    TRACK_BOARD = "track_board", "赛马红黄榜"
    GRASSROOTS = "grassroots", "基层服务年限"
    CARE = "care", "关爱标准"
    # workorders/: the order's limits and the public board; the indicator fed by orders
    WORKORDER = "workorder", "民情工单办理规则"
    WORKORDER_SCORE = "workorder_score", "民情工单计分"


class PolicyRule(models.Model):
    """One grading rule. Rows without a unit are the defaults; a row on a unit overrides the
    same (kind, key) for that unit and everything below it, the nearest one winning."""

    unit = models.ForeignKey(
        Unit,
        verbose_name="适用单位",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="policy_rules",
    )
    kind = models.CharField("规则类型", max_length=30, choices=RuleKind.choices)
    key = models.CharField("规则标识", max_length=30, default="", blank=True)
    params = models.JSONField("参数", default=dict)
    enabled = models.BooleanField("启用", default=True)
    note = models.CharField("说明", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "评定规则"
        verbose_name_plural = "评定规则"
        ordering = ["kind", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"], condition=Q(unit__isnull=True), name="policy_default_unique"
            ),
            models.UniqueConstraint(
                fields=["unit", "kind", "key"], condition=Q(unit__isnull=False), name="policy_unit_unique"
            ),
        ]

    def __str__(self):
        from .services.policy import rule_name

        return rule_name(self.kind, self.params)

    @staticmethod
    def audit_change_rows(name: str, old, new) -> list[tuple[str, str, str]] | None:
        """The audit trail shows a rule's parameters one a row, by their Chinese labels; the
        key is for machines (the entry's object is named in Chinese)."""
        if name == "key":
            return []
        if name != "params":
            return None
        from .services.policy import params_change_rows

        return params_change_rows(old, new)


class ImportStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    VALIDATING = "validating", "校验中"
    INVALID = "invalid", "校验未通过"
    VALIDATED = "validated", "待确认导入"
    COMMITTED = "committed", "已导入"
    FAILED = "failed", "导入失败"


class ImportBatch(models.Model):
    """One uploaded assessment sheet: the file as received, what validation found, the preview
    of the changes, and whether (and as which audit batch) it was committed.

    The file is kept so the page can offer it back annotated and the history can show it; the
    full diff is not stored but recomputed from the file at commit time (the database may have
    changed since the preview)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    period = models.ForeignKey(
        Period, verbose_name="考核期", on_delete=models.CASCADE, related_name="imports"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name="导入单位",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="留空表示上传人的整个管辖范围。",
    )
    # The subtree the batch belongs to (the unit's, else the uploader's): the history is scoped by it.
    scope_path = models.CharField("所属范围", max_length=255, blank=True, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True, db_index=True)
    file = models.FileField("文件", upload_to="imports/%Y/%m/", max_length=255, blank=True)
    original_name = models.CharField("文件名", max_length=255, blank=True)
    size = models.PositiveBigIntegerField("文件大小", default=0)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True, db_index=True)
    plan = models.FileField(
        "校验结果",
        upload_to="imports/plans/%Y/%m/",
        max_length=255,
        blank=True,
        help_text="通过校验的各行（JSON），确认导入时直接使用，导入后删除。",
    )
    status = models.CharField(
        "状态", max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING, db_index=True
    )
    message = models.CharField("说明", max_length=500, blank=True)
    rows_total = models.PositiveIntegerField("数据行", default=0)
    rows_ok = models.PositiveIntegerField("通过校验", default=0)
    rows_unchanged = models.PositiveIntegerField("无变化", default=0)
    rows_changed = models.PositiveIntegerField("修改", default=0)
    rows_new = models.PositiveIntegerField("新增", default=0)
    errors = models.JSONField("错误", default=list, blank=True)
    preview = models.JSONField("预览", default=dict, blank=True)
    job = models.ForeignKey(
        "core.Job",
        verbose_name="后台任务",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    committed_at = models.DateTimeField("导入时间", null=True, blank=True)
    audit_batch = models.CharField("审计批次", max_length=64, blank=True)

    class Meta:
        verbose_name = "评分表导入"
        verbose_name_plural = "评分表导入"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def error_count(self) -> int:
        return len(self.errors or [])


class QuotaRaise(models.Model):
    """A unit that completed major tasks (完成重大任务) in a period may use the policy's higher
    优秀 ratio (``QUOTA.raised_ratio``); recorded with the reason and who approved it."""

    period = models.ForeignKey(
        Period, verbose_name="考核期", on_delete=models.CASCADE, related_name="quota_raises"
    )
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("理由（完成的重大任务）")
    approved_by = models.CharField("批准人", max_length=50)
    approved_on = models.DateField("批准日期")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "优秀比例上调"
        verbose_name_plural = "优秀比例上调"
        constraints = [models.UniqueConstraint(fields=["period", "unit"], name="quota_raise_one_per_unit")]

    def __str__(self):
        return f"{self.period} {self.unit_id}"


class UnitQuota(models.Model):
    """The 优秀 quota of one unit in an annual period as the last recomputation found it: the
    exact value (assessed × ratio) beside the places it gives, the rounding, the ratio that
    applied, and who was left out of the base and why."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="unit_quotas")
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.CASCADE, related_name="+")
    assessed = models.PositiveIntegerField("计入名额基数人数")
    # {reason: count} of the cadres not counted in the base (试用期, 长期请假, 立案审查, 缺项)
    excluded = models.JSONField("不计入基数", default=dict, blank=True)
    ratio = models.DecimalField("适用比例", max_digits=6, decimal_places=4)
    raised = models.BooleanField("上调比例", default=False)
    raise_note = models.CharField("上调说明", max_length=300, blank=True)
    exact = models.DecimalField("名额精确值", max_digits=10, decimal_places=2)
    rounding = models.CharField("取整方式", max_length=10)
    places = models.PositiveIntegerField("优秀名额")
    # places taken by 复核 decisions before the rest are allocated
    fixed = models.PositiveIntegerField("复核占用名额", default=0)
    awarded = models.PositiveIntegerField("评为优秀人数", default=0)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "优秀名额"
        verbose_name_plural = "优秀名额"
        constraints = [models.UniqueConstraint(fields=["period", "unit"], name="unit_quota_one_per_unit")]

    def __str__(self):
        return f"{self.period} {self.unit_id}"


class AppealStatus(models.TextChoices):
    PENDING = "pending", "待决定"
    UPHELD = "upheld", "维持原等次"
    CHANGED = "changed", "改变等次"


class Appeal(models.Model):
    """A 复核/申诉 against a published annual grade: recorded by staff within the policy's
    deadline, decided by a head (upheld, or changed with the new grade and the reason)."""

    assessment = models.ForeignKey(
        Assessment, verbose_name="考核结果", on_delete=models.CASCADE, related_name="appeals"
    )
    appellant = models.CharField("申请人", max_length=50, help_text="通常为干部本人。")
    filed_on = models.DateField("申请日期")
    grounds = models.TextField("申请理由")
    grade_before = models.CharField("原等次", max_length=10, choices=Grade.choices)
    status = models.CharField(
        "状态", max_length=20, choices=AppealStatus.choices, default=AppealStatus.PENDING, db_index=True
    )
    new_grade = models.CharField("复核后等次", max_length=10, choices=Grade.choices, blank=True)
    decision_reason = models.TextField("决定理由", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)

    class Meta:
        verbose_name = "复核申诉"
        verbose_name_plural = "复核申诉"
        ordering = ["-filed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment"], condition=Q(status="pending"), name="appeal_one_pending"
            )
        ]

    def __str__(self):
        return f"复核申诉（{self.filed_on}）"


class AppealAttachment(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("文件", upload_to="appeals/%Y/%m/")
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=50)
    size = models.PositiveIntegerField("大小")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "申诉附件"
        verbose_name_plural = "申诉附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class RegistrationText(models.Model):
    """The texts of a cadre's 公务员年度考核登记表 that staff enter per annual assessment; the rest
    of the form (name, birth, post, grade) is read from the cadre and the assessment."""

    assessment = models.OneToOneField(
        Assessment, verbose_name="考核结果", on_delete=models.CASCADE, related_name="registration"
    )
    duty = models.CharField(
        "从事或分管工作", max_length=200, blank=True, help_text="留空时使用干部的现任职务。"
    )
    summary = models.TextField("个人总结", blank=True)
    leader_comment = models.TextField("主管领导评语和考核等次建议", blank=True)
    committee_opinion = models.TextField("机关负责人或考核委员会意见", blank=True)
    own_opinion = models.TextField("本人意见", blank=True)
    ungraded_note = models.TextField("未确定等次或不参加考核情况说明", blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "年度考核登记表"
        verbose_name_plural = "年度考核登记表"

    def __str__(self):
        return f"考核登记表 {self.assessment_id}"
