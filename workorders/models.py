"""Residents' work orders (民情工单 / 民心墙, DOMAIN.md "Work orders from residents").

A resident's need is recorded (居民点单) as a ``WorkOrder``; a party group or the unit dispatches
it (派单) to a cadre as a ``Dispatch``; the cadre accepts it with a promised deadline (接单,
承诺限期), handles it and the resident rates the result (评单). 不满意 is followed up: when the
cause was the cadre's the order is dispatched again (a new ``Dispatch``), when it was objective it
is explained and closed. Every step is also an ``OrderStep`` row: who, when, what.

The ratings of a cadre's dispatches in a period are what a work-order indicator of the
assessment scheme scores (``selectors.tallies``, ``assessment`` RuleKind.WORKORDER_SCORE).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from cadres import idnumber
from cadres.models import Cadre, Unit
from core.crypto import EncryptedCharField


class Channel(models.TextChoices):
    WALL = "wall", "民心墙"
    VISIT = "visit", "民情走访"
    PHONE = "phone", "电话"
    LETTER = "letter", "书信"
    WECHAT = "wechat", "微信"
    PROXY = "proxy", "代为诉说"


class OrderStatus(models.TextChoices):
    RECORDED = "recorded", "待派单"
    DISPATCHED = "dispatched", "待接单"
    ACCEPTED = "accepted", "办理中"
    HANDLED = "handled", "待评价"
    UNSATISFIED = "unsatisfied", "不满意待回访"
    CLOSED = "closed", "已办结"


# The statuses in which the order is still with someone (the board's and the lists' "open").
OPEN_STATUSES = (
    OrderStatus.RECORDED,
    OrderStatus.DISPATCHED,
    OrderStatus.ACCEPTED,
    OrderStatus.HANDLED,
    OrderStatus.UNSATISFIED,
)


class Rating(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Cause(models.TextChoices):
    CADRE = "cadre", "干部个人原因（重新派单）"
    OBJECTIVE = "objective", "客观原因（解释说明后办结）"


class PartyGroup(models.Model):
    """A party group (党小组) of a community's party branch: it dispatches the needs posted on
    its 民心墙."""

    unit = models.ForeignKey(Unit, verbose_name="所属村（社区）", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("党小组名称", max_length=50)
    leader = models.CharField("党小组长", max_length=30, blank=True)
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "党小组"
        verbose_name_plural = "党小组"
        ordering = ["unit", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="party_group_name_unique")]

    def __str__(self):
        return self.name


class WorkOrder(models.Model):
    """One resident's need (居民点单), from its recording to its close."""

    number = models.CharField("工单编号", max_length=20, unique=True)
    unit = models.ForeignKey(
        Unit, verbose_name="所属村（社区）", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    party_group = models.ForeignKey(
        PartyGroup,
        verbose_name="党小组",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
    )
    channel = models.CharField("来源渠道", max_length=10, choices=Channel.choices)
    title = models.CharField(
        "需求摘要", max_length=100, help_text="公示在民心墙上，请勿写入居民姓名、电话、门牌等个人信息。"
    )
    content = models.TextField("需求详情", blank=True)
    # Personal data: never on the public board; the contact is encrypted at rest and masked for
    # roles that may not see ID numbers.
    resident_name = models.CharField("居民姓名", max_length=30)
    resident_contact = EncryptedCharField("联系方式", max_length=50, blank=True, mask=idnumber.mask_phone)
    relayed_by = models.CharField("代为诉说人", max_length=30, blank=True, help_text="他人代为诉说时填写。")
    recorded_on = models.DateField("点单日期")
    dispatch_due = models.DateField("派单期限", help_text="点单后按规定天数（默认 3 天）内派单。")
    status = models.CharField(
        "状态", max_length=12, choices=OrderStatus.choices, default=OrderStatus.RECORDED
    )
    closed_on = models.DateField("办结日期", null=True, blank=True)
    close_note = models.TextField("办结说明", blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "民情工单"
        verbose_name_plural = "民情工单"
        ordering = ["-recorded_on", "-id"]
        indexes = [
            models.Index(fields=["unit", "status"], name="workorder_unit_status"),
            models.Index(fields=["status", "dispatch_due"], name="workorder_dispatch_due"),
            models.Index(fields=["recorded_on"], name="workorder_recorded_on"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(dispatch_due__gte=models.F("recorded_on")), name="workorder_due_after_recorded"
            ),
            models.CheckConstraint(
                condition=Q(status=OrderStatus.CLOSED, closed_on__isnull=False)
                | ~Q(status=OrderStatus.CLOSED) & Q(closed_on__isnull=True),
                name="workorder_closed_on_when_closed",
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"


class Dispatch(models.Model):
    """One round of an order with one cadre (派单 → 接单 → 办理 → 评单 → 回访). An order re-dispatched
    after 不满意 gets a new round; the earlier round keeps its rating and counts for its cadre."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="dispatches")
    round = models.PositiveSmallIntegerField("派单轮次", default=1)
    cadre = models.ForeignKey(
        Cadre,
        verbose_name="承办干部",
        on_delete=models.PROTECT,
        related_name="work_dispatches",
        db_index=False,
    )
    party_group = models.ForeignKey(
        PartyGroup,
        verbose_name="派单党小组",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    dispatched_on = models.DateField("派单日期")
    dispatch_note = models.CharField("派单说明", max_length=200, blank=True)
    dispatched_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_on = models.DateField("接单日期", null=True, blank=True)
    promised_on = models.DateField("承诺限期", null=True, blank=True)
    handled_on = models.DateField("办理完成日期", null=True, blank=True)
    handling = models.TextField("办理情况", blank=True)
    rating = models.CharField("群众评价", max_length=12, choices=Rating.choices, blank=True)
    score = models.PositiveSmallIntegerField(
        "评价得分", null=True, blank=True, help_text="实行百分制评价的地方填写，0–100。"
    )
    rated_on = models.DateField("评价日期", null=True, blank=True)
    rating_note = models.CharField("评价意见", max_length=200, blank=True)
    followup_on = models.DateField("回访日期", null=True, blank=True)
    followup_reason = models.TextField("不满意原因", blank=True)
    cause = models.CharField("原因类别", max_length=10, choices=Cause.choices, blank=True)
    explanation = models.TextField("解释说明", blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "派单记录"
        verbose_name_plural = "派单记录"
        ordering = ["order", "round"]
        indexes = [
            # the indicator's tallies: one cadre's rounds dispatched in a period
            models.Index(fields=["cadre", "dispatched_on"], name="dispatch_cadre_day"),
            models.Index(fields=["promised_on"], name="dispatch_promised_on"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order", "round"], name="dispatch_round_unique"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=100), name="dispatch_score_0_100"
            ),
            models.CheckConstraint(
                condition=Q(promised_on__isnull=True) | Q(promised_on__gte=models.F("accepted_on")),
                name="dispatch_promise_after_accept",
            ),
        ]

    def __str__(self):
        return f"{self.order.number} 第{self.round}轮"

    @property
    def on_time(self) -> bool | None:
        """Handled by the promised deadline; None while not handled."""
        if self.handled_on is None or self.promised_on is None:
            return None
        return self.handled_on <= self.promised_on


class Step(models.TextChoices):
    RECORD = "record", "居民点单"
    DISPATCH = "dispatch", "派单"
    ACCEPT = "accept", "接单"
    HANDLE = "handle", "办理完成"
    RATE = "rate", "群众评单"
    FOLLOWUP = "followup", "不满意回访"
    REDISPATCH = "redispatch", "重新派单"
    CLOSE = "close", "办结"


class OrderStep(models.Model):
    """The order's life, one row per step: who did it, on which day, when it was entered."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="steps")
    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    step = models.CharField("环节", max_length=12, choices=Step.choices)
    on = models.DateField("日期")
    note = models.CharField("说明", max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "工单环节"
        verbose_name_plural = "工单环节"
        ordering = ["order", "at", "id"]

    def __str__(self):
        return f"{self.get_step_display()}（{self.on}）"


class OrderReminderKind(models.TextChoices):
    DISPATCH_OVERDUE = "dispatch_overdue", "超过派单期限未派单"
    DEADLINE_OVERDUE = "deadline_overdue", "超过承诺限期未办结"


class OrderReminder(models.Model):
    """A 待办 raised by the daily reminder job; unique per due event, so re-runs add nothing. It
    shows to whoever must act: users with ``manage_workorders`` whose scope holds the order's unit
    (the undispatched need), and the dispatcher of the round (the broken promise)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="reminders")
    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField("提醒类型", max_length=20, choices=OrderReminderKind.choices)
    due_date = models.DateField("期限")
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="责任人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("提醒时间", auto_now_add=True)
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = "工单提醒"
        verbose_name_plural = "工单提醒"
        ordering = ["due_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "due_date"], name="order_reminder_once_per_due_event"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.order.number}"
