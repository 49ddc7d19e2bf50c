"""Supervision records (DOMAIN.md "Supervision"): talks and interviews with the 约谈 workflow,
reminders of rectification reports, problem clues, spot checks of personal-matters reports and
the follow-through of 述职评议 problem lists."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from cadres.models import Cadre, Unit


class InterviewKind(models.TextChoices):
    TALK = "talk", "谈心谈话"
    REMINDER = "reminder", "提醒谈话"
    YUETAN = "yuetan", "约谈"
    INQUIRY = "inquiry", "函询"
    ADMONISH = "admonish", "诫勉"


class SubjectType(models.TextChoices):
    CADRE = "cadre", "领导干部个人"
    TEAM = "team", "领导班子"


class ReasonAudience(models.TextChoices):
    TEAM = "team", "领导班子"
    LEADER = "leader", "领导干部"
    PARTY_MAIN_LEADER = "party_main", "党委（党组）主要负责人"
    ADMIN_MAIN_LEADER = "admin_main", "行政主要负责人"


class InterviewReason(models.Model):
    """An entry of the editable catalogue of situations that call for a talk or interview."""

    audience = models.CharField("适用对象", max_length=20, choices=ReasonAudience.choices)
    text = models.CharField("情形", max_length=200)
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "约谈情形"
        verbose_name_plural = "约谈情形目录"
        ordering = ["audience", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["audience", "text"], name="reason_unique_text")]

    def __str__(self):
        return self.text


class InterviewStatus(models.TextChoices):
    # talks other than 约谈 are recorded in one step
    RECORDED = "recorded", "已记录"
    # the 约谈 workflow
    PROPOSED = "proposed", "已提议"
    REJECTED = "rejected", "未获批准"
    APPROVED = "approved", "已批准"
    NOTIFIED = "notified", "已预告"
    CONDUCTED = "conducted", "已约谈，待整改报告"
    REPORT_RECEIVED = "report_received", "已收到整改报告"
    IMPROVED = "improved", "已评估：整改到位"
    NOT_IMPROVED = "not_improved", "已评估：整改不到位"


# A 约谈 counts toward the grade caps once it has been conducted.
CONDUCTED_STATUSES = (
    InterviewStatus.CONDUCTED,
    InterviewStatus.REPORT_RECEIVED,
    InterviewStatus.IMPROVED,
    InterviewStatus.NOT_IMPROVED,
)


class FollowUp(models.TextChoices):
    ADMONISH = "admonish", "建议诫勉"
    ORGANIZATIONAL = "organizational", "建议组织处理"


class Interview(models.Model):
    """One talk, interview, inquiry or admonishment about a cadre or a unit's leadership team."""

    kind = models.CharField("类别", max_length=20, choices=InterviewKind.choices)
    subject_type = models.CharField("对象类型", max_length=10, choices=SubjectType.choices)
    cadre = models.ForeignKey(
        Cadre,
        verbose_name="谈话对象",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interviews",
    )
    # The team's unit, or the cadre's unit when recorded (for scope and monthly counts).
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="interviews")
    reasons = models.ManyToManyField(InterviewReason, verbose_name="情形", blank=True, related_name="+")
    reason_detail = models.TextField("具体问题", blank=True)
    status = models.CharField("状态", max_length=20, choices=InterviewStatus.choices)

    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提议人/经办人", on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField("提议时间", auto_now_add=True)
    # The dates of the 约谈 steps are the user's (often recorded after the fact); the services keep
    # them in workflow order. proposed_at / approved_at are when the steps were recorded.
    proposed_on = models.DateField("提议日期", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)
    approved_on = models.DateField("审批日期", null=True, blank=True)
    approval_note = models.TextField("审批意见", blank=True)
    notice_sent_on = models.DateField("预告日期", null=True, blank=True)
    scheduled_for = models.DateTimeField("约定时间", null=True, blank=True)

    conducted_on = models.DateField("谈话日期", null=True, blank=True)
    location = models.CharField("地点", max_length=100, blank=True)
    interviewers = models.CharField("谈话人", max_length=200, blank=True)
    record = models.TextField("谈话记录", blank=True)
    # for a cadre: the unit's main leader is informed; for a team: it holds a meeting and reports
    main_leader_informed_on = models.DateField("通报主要负责人日期", null=True, blank=True)
    team_meeting_on = models.DateField("班子会议日期", null=True, blank=True)
    team_meeting_report = models.TextField("班子会议情况", blank=True)

    report_due = models.DateField("整改报告期限", null=True, blank=True, db_index=True)
    report_received_on = models.DateField("整改报告提交日期", null=True, blank=True)
    report_summary = models.TextField("整改报告摘要", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="评估人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_on = models.DateField("评估日期", null=True, blank=True)
    review_note = models.TextField("评估意见", blank=True)
    follow_up = models.CharField("后续处理建议", max_length=20, choices=FollowUp.choices, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "谈话记录"
        verbose_name_plural = "谈话记录"
        ordering = ["-proposed_at", "-id"]
        indexes = [
            models.Index(fields=["cadre", "kind", "conducted_on"], name="interview_cadre_kind"),
            models.Index(fields=["unit", "kind", "conducted_on"], name="interview_unit_kind"),
            models.Index(fields=["status", "report_due"], name="interview_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(subject_type="cadre") & Q(cadre__isnull=False))
                | (Q(subject_type="team") & Q(cadre__isnull=True)),
                name="interview_subject_consistent",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.subject_label}"

    @property
    def subject_label(self) -> str:
        if self.subject_type == SubjectType.TEAM:
            # ``unit_label`` where the query annotated it (selectors.unit_label): 光明村（城关镇）领导班子
            return f"{getattr(self, 'unit_label', None) or self.unit.name}领导班子"
        return self.cadre.name if self.cadre_id else ""


class Attachment(models.Model):
    """A PDF or image attached to an interview (notice, record, report, evidence)."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("文件", upload_to="interviews/%Y/%m/")
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=50)
    size = models.PositiveIntegerField("大小")
    stage = models.CharField("环节", max_length=20, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.original_name


class ReminderKind(models.TextChoices):
    DUE_SOON = "due_soon", "整改报告即将到期"
    OVERDUE = "overdue", "整改报告已逾期"


class Reminder(models.Model):
    """A to-do (待办) raised by the daily job; unique per due event, so re-runs add nothing."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField("提醒类型", max_length=20, choices=ReminderKind.choices)
    due_date = models.DateField("期限")
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="责任人", on_delete=models.PROTECT, related_name="reminders"
    )
    created_at = models.DateTimeField("提醒时间", auto_now_add=True)
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "待办提醒"
        verbose_name_plural = "待办提醒"
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["interview", "kind", "due_date"], name="reminder_once_per_due_event"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.interview}"


# ------------------------------------------------------------------ problem clues


class ClueSource(models.TextChoices):
    INSPECTION = "inspection", "巡视巡察"
    DISCIPLINE = "discipline", "纪检监察"
    JUDICIAL = "judicial", "政法"
    ONLINE = "online", "网络舆情"
    PETITION = "petition", "信访"


class ClueStatus(models.TextChoices):
    PENDING = "pending", "待核实"
    CONFIRMED = "confirmed", "属实"
    UNFOUNDED = "unfounded", "不实"
    CLOSED = "closed", "了结"


class ProblemClue(models.Model):
    """问题信息档案: a clue about a cadre. While unverified, the cadre is held from promotion."""

    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="clues")
    source = models.CharField("来源", max_length=20, choices=ClueSource.choices)
    received_on = models.DateField("收到日期")
    summary = models.TextField("问题摘要")
    status = models.CharField(
        "核实状态", max_length=20, choices=ClueStatus.choices, default=ClueStatus.PENDING
    )
    verified_on = models.DateField("核实日期", null=True, blank=True)
    conclusion = models.TextField("核实结论", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "问题线索"
        verbose_name_plural = "问题信息档案"
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["cadre", "status"], name="clue_cadre_status")]

    def __str__(self):
        return f"{self.get_source_display()}：{self.summary[:30]}"


class CheckOutcome(models.TextChoices):
    TRUTHFUL = "truthful", "如实报告"
    UNTRUTHFUL = "untruthful", "未如实报告"


class CheckHandling(models.TextChoices):
    NONE = "", "无需处理"
    REMINDER = "reminder", "提醒"
    ADMONISH = "admonish", "诫勉"


class PersonalMattersCheck(models.Model):
    """个人有关事项报告抽查 and its outcome."""

    cadre = models.ForeignKey(
        Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="matters_checks"
    )
    year = models.PositiveSmallIntegerField("报告年度")
    checked_on = models.DateField("抽查日期")
    outcome = models.CharField("核查结果", max_length=20, choices=CheckOutcome.choices)
    handling = models.CharField("处理", max_length=20, choices=CheckHandling.choices, blank=True)
    note = models.TextField("说明", blank=True)
    interview = models.ForeignKey(
        Interview, verbose_name="相应谈话", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "个人有关事项报告抽查"
        verbose_name_plural = "个人有关事项报告抽查"
        ordering = ["-checked_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["cadre", "year"], name="matters_check_once_a_year")]

    def __str__(self):
        return f"{self.cadre} {self.year}年 {self.get_outcome_display()}"


# ------------------------------------------------------------------ 述职评议 follow-through


class ReviewItemStatus(models.TextChoices):
    OPEN = "open", "整改中"
    CLOSED = "closed", "已销号"


class ReviewItem(models.Model):
    """One problem on a party-organization secretary's 述职评议 list, closed (销号) with evidence."""

    secretary = models.ForeignKey(
        Cadre, verbose_name="党组织书记", on_delete=models.PROTECT, related_name="review_items"
    )
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("述职年度")
    problem = models.TextField("问题")
    measure = models.TextField("整改措施", blank=True)
    deadline = models.DateField("整改时限", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=ReviewItemStatus.choices, default=ReviewItemStatus.OPEN
    )
    closed_on = models.DateField("销号日期", null=True, blank=True)
    evidence = models.TextField("销号佐证", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "述职评议问题"
        verbose_name_plural = "述职评议问题清单"
        ordering = ["year", "id"]
        indexes = [models.Index(fields=["secretary", "status"], name="review_item_secretary")]

    def __str__(self):
        return self.problem[:40]


class QuarterCheckStatus(models.TextChoices):
    ON_TRACK = "on_track", "按期推进"
    LAGGING = "lagging", "进度滞后"
    DONE = "done", "已完成"


class ReviewItemCheck(models.Model):
    """The quarterly check of one open item."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="checks")
    year = models.PositiveSmallIntegerField("年度")
    quarter = models.PositiveSmallIntegerField(
        "季度", choices=[(1, "一季度"), (2, "二季度"), (3, "三季度"), (4, "四季度")]
    )
    status = models.CharField("检查结果", max_length=10, choices=QuarterCheckStatus.choices)
    note = models.TextField("说明", blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField("检查时间", auto_now_add=True)

    class Meta:
        verbose_name = "季度检查"
        verbose_name_plural = "季度检查"
        ordering = ["year", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["item", "year", "quarter"], name="review_check_once_a_quarter")
        ]

    def __str__(self):
        return f"{self.year}年{self.quarter}季度 {self.get_status_display()}"


class SanctionKind(models.TextChoices):
    """Accountability outcomes (处分) whose influence periods (影响期) bear on grades."""

    WARNING = "warning", "警告"
    DEMERIT = "demerit", "记过"
    MAJOR_DEMERIT = "major_demerit", "记大过"
    DEMOTION = "demotion", "降级"
    DISMISSAL = "dismissal", "撤职"


class Sanction(models.Model):
    """A disciplinary sanction. How long it bears on grades is grading policy, not stored here."""

    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="sanctions")
    kind = models.CharField("处分类型", max_length=20, choices=SanctionKind.choices)
    decided_on = models.DateField("处分决定日期")
    reason = models.TextField("处分事由")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "处分记录"
        verbose_name_plural = "处分记录"
        ordering = ["-decided_on", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.decided_on}）"


class MatterType(models.TextChoices):
    """What a 容错纠错 decision may be about: the matters of supervision and the apps above it."""

    INTERVIEW = "interview", "谈话（约谈、诫勉等）"
    SANCTION = "sanction", "处分"
    FLAG = "flag", "不适宜担任现职预警"
    RECALL_CASE = "recall_case", "召回事由"


class Intent(models.TextChoices):
    DELIBERATE = "deliberate", "故意"
    NEGLIGENT = "negligent", "过失"


class Motive(models.TextChoices):
    PRIVATE = "private", "因私"
    PUBLIC = "public", "因公"


class Nature(models.TextChoices):
    VIOLATION = "violation", "违规"
    TRIAL = "trial", "探索试错"


class ExemptionVerdict(models.TextChoices):
    TOLERABLE = "tolerable", "可容"
    INTOLERABLE = "intolerable", "不容"


class Exemption(models.Model):
    """容错纠错 ("三个区分开来", [004]): one decision on one matter. A 可容 matter no longer caps a
    grade, raises a flag or makes a cadre ineligible, and every explanation that would have
    cited it says it was exempted and by which decision. The one way to exempt anything.

    ``matter_type`` + ``matter_id`` name the matter (an Interview, Sanction, recall Flag or
    RecallCase id); ``cadre`` and ``unit`` give the subject and the scope."""

    matter_type = models.CharField("事项类型", max_length=20, choices=MatterType.choices)
    matter_id = models.PositiveIntegerField("事项编号")
    cadre = models.ForeignKey(
        Cadre, verbose_name="干部", on_delete=models.PROTECT, null=True, blank=True, related_name="exemptions"
    )
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    intent = models.CharField("故意或过失", max_length=20, choices=Intent.choices)
    motive = models.CharField("因私或因公", max_length=20, choices=Motive.choices)
    nature = models.CharField("违规或试错", max_length=20, choices=Nature.choices)
    verdict = models.CharField("认定结论", max_length=20, choices=ExemptionVerdict.choices)
    basis = models.TextField("认定依据")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="认定人", on_delete=models.PROTECT, related_name="+"
    )
    decided_on = models.DateField("认定日期")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "容错纠错认定"
        verbose_name_plural = "容错纠错认定"
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["matter_type", "matter_id"], name="exemption_one_per_matter")
        ]
        indexes = [
            models.Index(fields=["matter_type", "verdict", "matter_id"], name="exemption_matter"),
            models.Index(fields=["cadre", "decided_on"], name="exemption_cadre"),
        ]

    def __str__(self):
        return f"{self.get_matter_type_display()} {self.matter_id}：{self.get_verdict_display()}"

    @property
    def tolerable(self) -> bool:
        return self.verdict == ExemptionVerdict.TOLERABLE


class InvestigationOutcome(models.TextChoices):
    SANCTIONED = "sanctioned", "给予处分"
    CLEARED = "cleared", "未予处分"


class Investigation(models.Model):
    """An investigation (立案审查) of a cadre. While it is open (no 结案日期) the cadre's annual
    grade is 不定等次 (``RuleKind.INVESTIGATION``); once it ends the cadre is graded, and a
    sanction it led to is recorded as a ``Sanction`` whose influence period the policy reads."""

    cadre = models.ForeignKey(
        Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="investigations"
    )
    opened_on = models.DateField("立案日期")
    authority = models.CharField("立案机关", max_length=100, blank=True)
    reason = models.TextField("立案事由", blank=True)
    closed_on = models.DateField("结案日期", null=True, blank=True, help_text="尚未结案的留空。")
    outcome = models.CharField("结案结果", max_length=20, choices=InvestigationOutcome.choices, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "立案审查"
        verbose_name_plural = "立案审查"
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="investigation_closed_after_opened",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True, outcome="") | Q(closed_on__isnull=False) & ~Q(outcome=""),
                name="investigation_outcome_when_closed",
            ),
        ]

    def __str__(self):
        return f"立案审查（{self.opened_on}{'—' + str(self.closed_on) if self.closed_on else '，未结案'}）"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None
