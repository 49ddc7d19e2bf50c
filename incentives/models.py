"""激励关爱: the 三挂钩 lists computed from a published annual period (with their reasons), the
decisions staff record on them, bonus bases and team pools, and care records.

Rules are ``assessment.PolicyRule`` kinds registered by ``incentives.policy`` (inherited down the
org tree like every other rule). 赛马 tracks are ``assessment.RaceTrack`` rows and their standings
``recall.TrackStanding``; 容错纠错 is ``supervision.Exemption`` (matters of every app below us).
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from assessment.models import Period
from cadres.models import Cadre, Unit


class ListKind(models.TextChoices):
    """One 三挂钩 list. An entry is one cadre on one list in one period."""

    BONUS = "bonus", "绩效奖金"
    COMMENDATION = "commendation", "评先选优"
    JIAJIANG = "jiajiang", "嘉奖"
    MERIT3 = "merit3", "记三等功"
    PRIORITY = "priority", "优先使用"
    RESERVED_POST = "reserved_post", "定向选拔（乡镇党政正职）"
    YOUNG_SELECTION = "young_selection", "80后比选"
    RANK_PROMOTION = "rank_promotion", "职级晋升"
    RANK_DROP = "rank_drop", "降低一个职级"


class Entry(models.Model):
    """A cadre on a list, computed: eligible or left out, with the rules and facts behind it.

    Recomputing a period replaces its entries; decisions are keyed by (period, cadre, kind) in
    ``Decision`` so they survive a recomputation. ``reasons`` has the shape of a grade's
    explanation: ``[{"rule": ..., "effect": ..., "facts": {...}}]``.
    """

    # No single-column indexes on the keys: the unique (period, cadre, kind) and (cadre, period)
    # serve the lookups, and a 100,000-cadre period writes some 200,000 entries at once, each
    # index a cost (a unit is never deleted while it has cadres, so its key needs none either).
    period = models.ForeignKey(
        Period, verbose_name="考核期", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    cadre = models.ForeignKey(
        Cadre, verbose_name="干部", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # the cadre's assessed unit in the period (scope and the unit subtree filter)
    unit = models.ForeignKey(
        Unit, verbose_name="单位", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField("名单", max_length=20, choices=ListKind.choices)
    eligible = models.BooleanField("符合条件")
    reasons = models.JSONField("依据", default=list)
    # soft requirements rank the eligible: a higher score ranks first; position 1 is the first
    score = models.DecimalField("排序得分", max_digits=8, decimal_places=2, null=True, blank=True)
    position = models.PositiveIntegerField("排序", null=True, blank=True)
    # 绩效奖金: coefficient × base − withholding, to the fen
    coefficient = models.DecimalField("奖金系数", max_digits=5, decimal_places=2, null=True, blank=True)
    base = models.DecimalField("奖金基数（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    withheld = models.DecimalField("扣发（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    # 职级晋升: the day the required tenure is complete
    due_date = models.DateField("可晋升日期", null=True, blank=True)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = "激励名单条目"
        verbose_name_plural = "激励名单条目"
        constraints = [
            models.UniqueConstraint(fields=["period", "cadre", "kind"], name="incentive_entry_once")
        ]
        indexes = [
            models.Index(fields=["period", "kind", "eligible"], name="incentive_entry_list"),
            models.Index(fields=["cadre", "period"], name="incentive_entry_cadre"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.cadre_id}"


class Verdict(models.TextChoices):
    GRANTED = "granted", "同意"
    DECLINED = "declined", "不同意"


class Decision(models.Model):
    """What staff decided on an entry: granted or declined, why, by whom. Keyed like the entry
    (not a foreign key to it) so a recomputation keeps it; ``snapshot`` keeps the entry's
    eligibility, reasons and amount as they were when decided."""

    period = models.ForeignKey(Period, verbose_name="考核期", on_delete=models.CASCADE, related_name="+")
    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("名单", max_length=20, choices=ListKind.choices)
    verdict = models.CharField("决定", max_length=10, choices=Verdict.choices)
    reason = models.TextField("理由")
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    snapshot = models.JSONField("决定时的名单条目", default=dict)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_on = models.DateField("决定日期")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "激励决定"
        verbose_name_plural = "激励决定"
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "cadre", "kind"], name="incentive_decision_once")
        ]
        indexes = [models.Index(fields=["cadre", "decided_on"], name="incentive_decision_cadre")]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.get_verdict_display()}"


class BonusBase(models.Model):
    """The bonus base per cadre a unit sets for a period; the nearest ancestor's base applies
    to units that set none."""

    period = models.ForeignKey(Period, verbose_name="考核期", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.CASCADE, related_name="+")
    amount = models.DecimalField(
        "人均奖金基数（元）", max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    note = models.CharField("说明", max_length=200, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "奖金基数"
        verbose_name_plural = "奖金基数"
        constraints = [models.UniqueConstraint(fields=["period", "unit"], name="bonus_base_once")]

    def __str__(self):
        return f"{self.unit_id} {self.amount}"


class PoolKind(models.TextChoices):
    UNIT = "unit", "单位团队"
    PROJECT = "project", "项目团队"


class TeamPool(models.Model):
    """A team's bonus pool for a period ([003]): the total follows the team's annual tier, the
    team shares it out. A unit team's tier is its leadership team's grade; a project team's
    tier is recorded here."""

    period = models.ForeignKey(Period, verbose_name="考核期", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("团队类型", max_length=10, choices=PoolKind.choices)
    name = models.CharField("团队名称", max_length=100)
    tier = models.CharField("团队年度等次", max_length=10, blank=True)
    base = models.DecimalField(
        "奖金池基数（元）", max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    total = models.DecimalField("奖金池总额（元）", max_digits=14, decimal_places=2, null=True, blank=True)
    arithmetic = models.JSONField("计算过程", default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "团队奖金池"
        verbose_name_plural = "团队奖金池"
        ordering = ["unit", "name"]
        constraints = [models.UniqueConstraint(fields=["period", "unit", "name"], name="team_pool_once")]

    def __str__(self):
        return self.name


class PoolShare(models.Model):
    """One member's share of a pool: a weight the team gives, and the amount to the fen (the
    amounts of a pool always add up to its total)."""

    pool = models.ForeignKey(TeamPool, on_delete=models.CASCADE, related_name="shares")
    cadre = models.ForeignKey(Cadre, verbose_name="成员", on_delete=models.PROTECT, related_name="+")
    weight = models.DecimalField(
        "分配权重", max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    amount = models.DecimalField("分配金额（元）", max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = "奖金池分配"
        verbose_name_plural = "奖金池分配"
        ordering = ["pool", "-weight", "id"]
        constraints = [models.UniqueConstraint(fields=["pool", "cadre"], name="pool_share_once")]

    def __str__(self):
        return f"{self.cadre_id} {self.amount}"


class CareKind(models.TextChoices):
    TALK = "talk", "谈心谈话"
    VISIT = "visit", "走访慰问"
    HEALTH_CHECK = "health_check", "年度体检"
    LEAVE = "leave", "带薪休假"
    HARDSHIP_HELP = "hardship_help", "困难帮扶"
    DEPARTED_SUBSIDY = "departed_subsidy", "离任村干部生活补贴"
    DEPARTED_VISIT = "departed_visit", "离任村干部走访"


class VisitOccasion(models.TextChoices):
    JULY_FIRST = "july_first", "七一"
    SPRING_FESTIVAL = "spring_festival", "春节"
    OTHER = "other", "其他"


class CareRecord(models.Model):
    """One act of care for a cadre (or a departed village cadre)."""

    cadre = models.ForeignKey(
        Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="care_records"
    )
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类别", max_length=20, choices=CareKind.choices)
    occasion = models.CharField("时机", max_length=20, choices=VisitOccasion.choices, blank=True)
    date = models.DateField("日期")
    days = models.PositiveSmallIntegerField("天数", null=True, blank=True)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    content = models.TextField("内容")
    by_whom = models.CharField("经办人或慰问人", max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "关爱记录"
        verbose_name_plural = "关爱记录"
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["cadre", "kind", "date"], name="care_cadre_kind_day"),
            models.Index(fields=["unit", "date"], name="care_unit_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="visit") | ~Q(occasion=""), name="care_visit_has_occasion"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date}"


class HardshipPost(models.Model):
    """A unit whose posts are hardship posts (艰苦边远): its cadres are due a visit every year."""

    unit = models.OneToOneField(Unit, verbose_name="单位", on_delete=models.CASCADE, related_name="+")
    since = models.DateField("认定日期")
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "艰苦边远岗位"
        verbose_name_plural = "艰苦边远岗位"

    def __str__(self):
        return str(self.unit_id)


class DepartedVillageCadre(models.Model):
    """A village (community) cadre who has left office ([001] 旬阳): living subsidy, visits,
    and the role given after leaving."""

    cadre = models.OneToOneField(
        Cadre, verbose_name="离任村干部", on_delete=models.PROTECT, related_name="departure"
    )
    unit = models.ForeignKey(Unit, verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+")
    left_on = models.DateField("离任日期")
    years_served = models.PositiveSmallIntegerField("任职年限")
    monthly_subsidy = models.DecimalField(
        "生活补贴（元/月）", max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    paid_through = models.DateField("补贴已发放至", null=True, blank=True)
    role_after = models.CharField("离任后发挥作用", max_length=100, blank=True)
    note = models.TextField("备注", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "离任村干部"
        verbose_name_plural = "离任村干部"
        ordering = ["unit", "left_on"]

    def __str__(self):
        return str(self.cadre_id)
