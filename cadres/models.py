import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from treebeard.mp_tree import MP_Node

from core.crypto import EncryptedCharField

from . import idnumber, search


class UnitKind(models.TextChoices):
    PROVINCE = "province", "省"
    CITY = "city", "市"
    COUNTY = "county", "县"
    TOWNSHIP = "township", "乡镇"
    DEPARTMENT = "department", "部门"
    VILLAGE = "village", "村社区"


class Unit(MP_Node):
    """An org unit. ``path`` (materialized path, django-treebeard) makes a subtree one
    prefix query: ``Unit.objects.filter(path__startswith=unit.path)``."""

    code = models.CharField(
        "单位代码",
        max_length=32,
        unique=True,
        help_text="稳定且唯一的单位代码，导入和接口以此识别单位。",
    )
    name = models.CharField("单位名称", max_length=100)
    kind = models.CharField("单位类别", max_length=20, choices=UnitKind.choices)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    node_order_by = ["code"]

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        indexes = [
            # LIKE 'prefix%' uses a btree index on PostgreSQL only with the pattern opclass.
            models.Index(fields=["path"], name="unit_path_prefix", opclasses=["varchar_pattern_ops"]),
            # selectors.unit_label looks for another unit of the same name for every row it labels
            models.Index(fields=["name"], name="unit_name"),
        ]

    def __str__(self):
        return self.name

    @property
    def parent_unit(self):
        return Unit.objects.get_parent(self)

    def subtree_q(self, prefix: str = "") -> Q:
        """Q matching objects whose unit (reached through ``prefix``) is in this subtree."""
        return Q(**{f"{prefix}path__startswith": self.path})


class CadreKind(models.TextChoices):
    LEADER_CHU = "leader_chu", "领导干部（处级）"
    LEADER_KE = "leader_ke", "领导干部（科级）"
    GENERAL = "general", "一般干部"
    VILLAGE = "village", "村（社区）干部"


class Rank(models.TextChoices):
    ZHENG_CHU = "zheng_chu", "正处级"
    FU_CHU = "fu_chu", "副处级"
    ZHENG_KE = "zheng_ke", "正科级"
    FU_KE = "fu_ke", "副科级"
    LEVEL_1_CLERK = "clerk_1", "一级主任科员"
    LEVEL_2_CLERK = "clerk_2", "二级主任科员"
    LEVEL_1_STAFF = "staff_1", "一级科员"
    STAFF = "staff", "科员"
    NONE = "none", "无"


# Ranks that fit each kind: a 处级 leader cannot hold a 科员 rank.
RANKS_BY_KIND = {
    CadreKind.LEADER_CHU: {Rank.ZHENG_CHU, Rank.FU_CHU},
    CadreKind.LEADER_KE: {Rank.ZHENG_KE, Rank.FU_KE},
    CadreKind.GENERAL: {Rank.LEVEL_1_CLERK, Rank.LEVEL_2_CLERK, Rank.LEVEL_1_STAFF, Rank.STAFF},
    CadreKind.VILLAGE: {Rank.NONE},
}


class Identity(models.TextChoices):
    CIVIL_SERVANT = "civil_servant", "公务员"
    REFERENCE = "reference", "参公管理"
    INSTITUTION = "institution", "事业编制"
    VILLAGE = "village", "村（社区）干部"
    OTHER = "other", "其他"


class CadreStatus(models.TextChoices):
    ON_POST = "on_post", "在岗"
    RECALLED = "recalled", "召回学习"
    FRONTLINE = "frontline", "一线锻炼"
    AWAITING = "awaiting", "待岗"
    REMOVED = "removed", "免职"
    NON_LEADING = "non_leading", "改任非领导职务"
    RETIRED = "retired", "退休"
    DISMISSED = "dismissed", "辞退/解聘"
    SUSPENDED = "suspended", "停职"
    RESIGNED = "resigned", "辞去领导职务"


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class PoliticalStatus(models.TextChoices):
    CPC = "cpc", "中共党员"
    PROBATIONARY = "probationary", "中共预备党员"
    LEAGUE = "league", "共青团员"
    DEMOCRATIC = "democratic", "民主党派"
    MASSES = "masses", "群众"


class Cadre(models.Model):
    """A cadre in the registry with the facts of 三龄两历一身份."""

    unit = models.ForeignKey(Unit, verbose_name="所在单位", on_delete=models.PROTECT, related_name="cadres")
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    ethnicity = models.CharField("民族", max_length=20, default="汉族")
    # Encrypted at rest (core/crypto.py); found and kept unique through id_number_hash.
    id_number = EncryptedCharField("身份证号", max_length=18, mask=idnumber.mask)
    id_number_hash = models.CharField(
        "身份证号摘要",
        max_length=64,
        unique=True,
        editable=False,
        error_messages={"unique": "该身份证号已登记在册，不能重复登记。"},
        help_text="身份证号的 HMAC-SHA256（密钥 DJANGO_ID_HASH_KEY），用于查找和唯一性。",
    )
    # The header search (cadres/search.py): kept by save() and by every bulk writer.
    id_tail_hash = models.CharField(
        "身份证号后6位摘要",
        max_length=64,
        default="",
        editable=False,
        help_text="身份证号后6位的 HMAC-SHA256，用于按后6位查找。",
    )
    # What roles that may not see ID numbers get (idnumber.mask: the area code and the check
    # digit, as the audit trail keeps it), in clear: kept by save() and by every bulk writer, so
    # a report page of 100 masked numbers decrypts none.
    id_number_masked = models.CharField("身份证号（脱敏）", max_length=18, default="", editable=False)
    name_initials = models.CharField(
        "姓名拼音首字母", max_length=20, default="", editable=False, help_text="如张三为 zs，用于搜索。"
    )
    birth_date = models.DateField("出生日期")
    work_start_date = models.DateField("参加工作时间")
    political_status = models.CharField(
        "政治面貌", max_length=20, choices=PoliticalStatus.choices, default=PoliticalStatus.CPC
    )
    party_join_date = models.DateField("入党时间", null=True, blank=True)
    identity = models.CharField("身份类别", max_length=20, choices=Identity.choices)
    kind = models.CharField("干部类别", max_length=20, choices=CadreKind.choices)
    rank = models.CharField("职级", max_length=20, choices=Rank.choices)
    rank_start_date = models.DateField(
        "任现职级时间", null=True, blank=True, help_text="职级晋升按任现职级年限计算。"
    )
    post_title = models.CharField("现任职务", max_length=100)
    post_start_date = models.DateField("任现职时间", null=True, blank=True)
    status = models.CharField("状态", max_length=20, choices=CadreStatus.choices, default=CadreStatus.ON_POST)
    township_service_start = models.DateField(
        "到乡镇工作时间", null=True, blank=True, help_text="新录用人员在乡镇服务满3年，未满2年不得借调。"
    )
    probation_end = models.DateField(
        "试用期满日期",
        null=True,
        blank=True,
        help_text="新录用人员的试用期满日期；考核年度末仍在试用期内的，年度考核只写评语、不定等次。",
    )
    phone = EncryptedCharField("联系电话", max_length=20, blank=True, mask=idnumber.mask_phone)
    notes = models.TextField("备注", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "干部"
        verbose_name_plural = "干部"
        indexes = [
            # unit and kind filters, and (with status) the home page's counts per unit, kind and
            # status read from the index alone (cadres.selectors.cadre_counts)
            models.Index(fields=["unit", "kind", "status"], name="cadre_unit_kind_status"),
            models.Index(fields=["status"], name="cadre_status"),
            models.Index(fields=["birth_date"], name="cadre_birth"),
            models.Index(fields=["name"], name="cadre_name"),
            models.Index(fields=["id_tail_hash"], name="cadre_id_tail"),
            models.Index(fields=["name_initials"], name="cadre_initials", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.id_number_hash = idnumber.digest(self.id_number)
        self.id_tail_hash = search.tail_digest(self.id_number)
        self.id_number_masked = idnumber.mask(self.id_number)
        self.name_initials = search.name_initials(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            extra = set()
            if "id_number" in update_fields:
                extra |= {"id_number_hash", "id_tail_hash", "id_number_masked"}
            if "name" in update_fields:
                extra.add("name_initials")
            if extra:
                kwargs["update_fields"] = {*update_fields, *extra}
        super().save(*args, **kwargs)

    @property
    def masked_id_number(self) -> str:
        return idnumber.mask(self.id_number)

    @property
    def masked_phone(self) -> str:
        return idnumber.mask_phone(self.phone)

    @property
    def birth_month(self) -> str:
        """What roles that may not see ID numbers see of the birth date: ``1975-03``."""
        return f"{self.birth_date:%Y-%m}" if self.birth_date else ""

    def age(self, on: datetime.date | None = None) -> int:
        on = on or timezone.localdate()
        return (
            on.year
            - self.birth_date.year
            - ((on.month, on.day) < (self.birth_date.month, self.birth_date.day))
        )

    def clean(self):
        """Consistency of one record; messages are for the person filling the form."""
        errors: dict[str, str] = {}
        today = timezone.localdate()
        if self.id_number:
            try:
                self.id_number = idnumber.validate(self.id_number)
            except idnumber.IdNumberError as exc:
                errors["id_number"] = str(exc)
            else:
                born = idnumber.birth_date(self.id_number)
                if self.birth_date and self.birth_date != born:
                    errors["birth_date"] = f"出生日期与身份证号不一致（身份证号显示为{born:%Y年%m月%d日}）。"
                if self.gender and self.gender != idnumber.gender(self.id_number):
                    errors["gender"] = "性别与身份证号不一致（身份证号第17位奇数为男、偶数为女）。"
        if self.birth_date:
            if self.birth_date > today:
                errors.setdefault("birth_date", "出生日期不能晚于今天。")
            elif not 16 <= self.age(today) <= 80:
                errors.setdefault("birth_date", "年龄应在16至80岁之间，请核对出生日期。")
        for field, label in (
            ("work_start_date", "参加工作时间"),
            ("party_join_date", "入党时间"),
            ("post_start_date", "任现职时间"),
            ("rank_start_date", "任现职级时间"),
            ("township_service_start", "到乡镇工作时间"),
        ):
            value = getattr(self, field)
            if value and value > today:
                errors.setdefault(field, f"{label}不能晚于今天。")
        if self.birth_date and self.work_start_date:
            if self.work_start_date < _add_years(self.birth_date, 16):
                errors.setdefault("work_start_date", "参加工作时应年满16周岁。")
        if self.birth_date and self.party_join_date:
            if self.party_join_date < _add_years(self.birth_date, 18):
                errors.setdefault("party_join_date", "入党时应年满18周岁。")
        if (
            self.political_status in (PoliticalStatus.CPC, PoliticalStatus.PROBATIONARY)
            and not self.party_join_date
        ):
            errors.setdefault("party_join_date", "中共党员（含预备党员）须填写入党时间。")
        if (
            self.political_status not in (PoliticalStatus.CPC, PoliticalStatus.PROBATIONARY)
            and self.party_join_date
        ):
            errors.setdefault("party_join_date", "非中共党员不应填写入党时间。")
        if self.work_start_date:
            for field, label in (
                ("post_start_date", "任现职时间"),
                ("rank_start_date", "任现职级时间"),
                ("township_service_start", "到乡镇工作时间"),
            ):
                value = getattr(self, field)
                if value and value < self.work_start_date:
                    errors.setdefault(field, f"{label}不能早于参加工作时间。")
        if self.kind and self.rank and self.rank not in RANKS_BY_KIND[CadreKind(self.kind)]:
            allowed = "、".join(Rank(r).label for r in sorted(RANKS_BY_KIND[CadreKind(self.kind)]))
            errors.setdefault("rank", f"{CadreKind(self.kind).label}的职级应为：{allowed}。")
        if self.kind == CadreKind.VILLAGE and self.identity and self.identity != Identity.VILLAGE:
            errors.setdefault("identity", "村（社区）干部的身份类别应为“村（社区）干部”。")
        if errors:
            raise ValidationError(errors)


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class EducationLevel(models.TextChoices):
    POSTGRADUATE = "postgraduate", "研究生"
    BACHELOR = "bachelor", "大学本科"
    COLLEGE = "college", "大学专科"
    SECONDARY = "secondary", "中专"
    HIGH_SCHOOL = "high_school", "高中及以下"


class StudyMode(models.TextChoices):
    FULL_TIME = "full_time", "全日制"
    IN_SERVICE = "in_service", "在职教育"


class Education(models.Model):
    """学历: one entry of the education history."""

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="educations")
    level = models.CharField("学历", max_length=20, choices=EducationLevel.choices)
    degree = models.CharField("学位", max_length=30, blank=True)
    school = models.CharField("毕业院校", max_length=100)
    major = models.CharField("专业", max_length=100, blank=True)
    mode = models.CharField("教育形式", max_length=20, choices=StudyMode.choices, default=StudyMode.FULL_TIME)
    start_date = models.DateField("入学时间", null=True, blank=True)
    end_date = models.DateField("毕业时间")

    class Meta:
        verbose_name = "学历"
        verbose_name_plural = "学历"
        ordering = ["end_date", "id"]

    def __str__(self):
        return f"{self.get_level_display()} {self.school}"

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "毕业时间不能早于入学时间。"})
        if self.end_date and self.end_date > timezone.localdate() + datetime.timedelta(days=366 * 6):
            raise ValidationError({"end_date": "毕业时间不合理。"})


class PostKind(models.TextChoices):
    REGULAR = "regular", "一般岗位"
    TOWNSHIP_FRONTLINE = "township_frontline", "乡镇一线"
    PROJECT_FRONTLINE = "project_frontline", "重大项目一线"
    FIRST_SECRETARY = "first_secretary", "驻村第一书记"
    TOWNSHIP_PRINCIPAL = "township_principal", "乡镇党政正职"
    # 借调: working elsewhere while staying on the home unit's books (cadres.moves checks it)
    SECONDMENT = "secondment", "借调"


FRONTLINE_POST_KINDS = {PostKind.TOWNSHIP_FRONTLINE, PostKind.PROJECT_FRONTLINE, PostKind.FIRST_SECRETARY}


class PostRecord(models.Model):
    """经历: one post held. Front-line posts and 第一书记 assignments are entries here."""

    cadre = models.ForeignKey(Cadre, on_delete=models.CASCADE, related_name="posts")
    unit = models.ForeignKey(
        Unit, verbose_name="任职单位", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    unit_name = models.CharField("单位名称", max_length=100, help_text="系统外单位可直接填写名称。")
    title = models.CharField("职务", max_length=100)
    kind = models.CharField("岗位类型", max_length=30, choices=PostKind.choices, default=PostKind.REGULAR)
    start_date = models.DateField("起始时间")
    end_date = models.DateField("终止时间", null=True, blank=True, help_text="现任职务留空。")

    class Meta:
        verbose_name = "任职经历"
        verbose_name_plural = "任职经历"
        ordering = ["start_date", "id"]
        indexes = [models.Index(fields=["cadre", "start_date"], name="post_cadre_start")]

    def __str__(self):
        return f"{self.unit_name} {self.title}"

    @property
    def is_frontline(self) -> bool:
        return self.kind in FRONTLINE_POST_KINDS

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "终止时间不能早于起始时间。"})
        if self.start_date and self.start_date > timezone.localdate():
            raise ValidationError({"start_date": "起始时间不能晚于今天。"})


class TeamMembership(models.Model):
    """A member of a unit's leadership team (领导班子); one of them is the main leader (主要负责人)."""

    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.CASCADE, related_name="team")
    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.CASCADE, related_name="team_roles")
    role_title = models.CharField("班子职务", max_length=50)
    is_main_leader = models.BooleanField("主要负责人", default=False)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "领导班子成员"
        verbose_name_plural = "领导班子成员"
        ordering = ["unit", "-is_main_leader", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "cadre"], name="team_member_once"),
            models.UniqueConstraint(
                fields=["unit"], condition=Q(is_main_leader=True), name="team_one_main_leader"
            ),
        ]

    def __str__(self):
        return f"{self.unit} {self.role_title} {self.cadre}"


class LeaveKind(models.TextChoices):
    SICK = "sick", "病假"
    PERSONAL = "personal", "事假"
    OTHER = "other", "其他假"


class LeaveRecord(models.Model):
    """A cadre's leave (病假、事假、其他) with its dates. Leave over more than half of an
    assessment year makes the annual grade 不参加考核 or 不定等次, as the policy says
    (``RuleKind.LONG_LEAVE``)."""

    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="leaves")
    kind = models.CharField("请假类别", max_length=20, choices=LeaveKind.choices)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True, help_text="仍在休假的留空。")
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "请假记录"
        verbose_name_plural = "请假记录"
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="leave_end_after_start",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.start_date}—{self.end_date or '至今'}）"

    def days_within(self, start: datetime.date, end: datetime.date) -> int:
        """Days of this leave inside ``start``–``end`` (both counted); an open leave runs to ``end``."""
        first = max(self.start_date, start)
        last = min(self.end_date or end, end)
        return max((last - first).days + 1, 0)


class CadreFacts(models.Model):
    """Facts of the 干部任免审批表 (LRMX/LRM files, ``interop/``) the registry keeps as they are
    written there: 籍贯, 出生地, 健康状况, the family, the photo, and the résumé lines that could not
    be read as posts. Beside the cadre rather than on it, so the registry's bulk writers and
    audit snapshots of ``Cadre`` are not concerned; a cadre without a 任免审批表 has no row."""

    cadre = models.OneToOneField(
        Cadre, verbose_name="干部", on_delete=models.CASCADE, primary_key=True, related_name="facts"
    )
    native_place = models.CharField("籍贯", max_length=50, blank=True, default="")
    birth_place = models.CharField("出生地", max_length=50, blank=True, default="")
    health = models.CharField("健康状况", max_length=30, blank=True, default="")
    professional_title = models.CharField("专业技术职务", max_length=100, blank=True, default="")
    expertise = models.CharField("熟悉专业有何专长", max_length=200, blank=True, default="")
    rewards_text = models.TextField("奖惩情况", blank=True, default="")
    resume_text = models.TextField(
        "简历（未能逐条识别的部分）",
        blank=True,
        default="",
        help_text="导入任免审批表时，简历中不能识别为任职经历的行原样保存在这里，导出时写在简历末尾。",
    )
    family = models.JSONField(
        "家庭主要成员及重要社会关系",
        default=list,
        blank=True,
        help_text="每项含称谓、姓名、出生日期、政治面貌、工作单位及职务（relation/name/birth/politics/work）。",
    )
    photo = models.BinaryField("照片", null=True, blank=True, editable=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "任免审批表信息"
        verbose_name_plural = "任免审批表信息"

    def __str__(self):
        return f"{self.cadre_id} 任免审批表信息"
