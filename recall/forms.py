"""Forms of the recall pages: cases and their steps, points, the catalogue, negative lists,
flag review and adjustment decisions.

They only parse what the browser sends; the services validate (and say why in Chinese). Field
names are the services' error keys, so a refused value lands on its field. A cadre is picked by
name or ID number (``cadres.forms.CadrePickerForm``), never from a select of the whole registry.
"""

from django import forms
from django.forms.models import ModelChoiceIterator

from assessment.models import Period, PeriodStatus
from cadres.forms import BootstrapMixin, CadrePickerForm, DateInput, unit_field
from cadres.models import Rank

from .models import (
    AdjustmentMethod,
    Attendance,
    CadreLevel,
    CaseSource,
    Cause,
    DecisionStatus,
    FlagStatus,
    Outcome,
    Result,
    Situation,
    SituationGroup,
    Stage,
)


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


def _required(label: str, verb: str = "填写") -> dict:
    return {"required": f"请{verb}{label}。", "invalid": f"{label}格式不正确。"}


def _date(label: str, *, required: bool = False, today: bool = True, help_text: str = "") -> forms.DateField:
    field = forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        error_messages=_required(label),
        help_text=help_text or ("不填为今天。" if today and not required else ""),
    )
    return field


def _text(label: str, *, rows: int = 3, required: bool = True, max_length: int = 2000, help_text: str = ""):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages=_required(label),
        help_text=help_text,
    )


class _GroupedSituations(ModelChoiceIterator):
    """The situations under their five groups (<optgroup>), still read lazily, once."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        groups: dict[str, list] = {}
        for situation in self.queryset:
            groups.setdefault(situation.group, []).append(self.choice(situation))
        for group in SituationGroup.values:
            if groups.get(group):
                yield (SituationGroup(group).label, groups[group])


class SituationChoiceField(forms.ModelChoiceField):
    """An active situation of the catalogue, grouped, with its code and points."""

    iterator = _GroupedSituations

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "error_messages", {"required": "请选择惰政情形。", "invalid_choice": "请选择惰政情形。"}
        )
        kwargs.setdefault("empty_label", "请选择")
        super().__init__(queryset=Situation.objects.filter(active=True).order_by("order", "id"), **kwargs)

    def label_from_instance(self, obj: Situation) -> str:
        return f"{obj.code} {obj.name}（{obj.points}分）"


def _unit_filter(form, user, units) -> None:
    form.fields["unit"] = unit_field(
        user, units, required=False, label="单位（含下级）", empty_label="全部单位"
    )
    form.fields["unit"].widget.attrs["class"] = "form-select"


# ---------------------------------------------------------------- cases

STAGE_FILTER = [("", "全部环节"), ("open", "办理中（未办结）"), *Stage.choices]


class CaseFilterForm(StyledForm):
    stage = forms.ChoiceField(choices=STAGE_FILTER, required=False, label="环节")
    unit = forms.ModelChoiceField(queryset=None, required=False)
    level = forms.ChoiceField(
        choices=[("", "全部层级"), *CadreLevel.choices], required=False, label="干部层级"
    )
    cause = forms.ChoiceField(choices=[("", "全部"), *Cause.choices], required=False, label="问题性质")
    source = forms.ChoiceField(
        choices=[("", "全部依据"), *CaseSource.choices], required=False, label="召回依据"
    )
    name = forms.CharField(required=False, label="干部姓名", max_length=50)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        _unit_filter(self, user, units)
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"


def published_annual_periods():
    return Period.objects.filter(
        quarter__isnull=True, status__in=[PeriodStatus.PUBLISHED, PeriodStatus.ARCHIVED]
    ).order_by("-year", "-id")


class CaseProposeForm(CadrePickerForm):
    """提议召回. A flag-sourced proposal comes from the flag's page (the flag is fixed there)."""

    source = forms.ChoiceField(
        label="召回依据",
        choices=[
            ("", "请选择"),
            (CaseSource.SITUATION, CaseSource.SITUATION.label),
            (CaseSource.GRADE, CaseSource.GRADE.label),
        ],
        error_messages=_required("召回依据", "选择"),
        help_text="记分达到召回分值的，系统在登记记分时自动提议召回。",
    )
    situation = SituationChoiceField(label="惰政情形", required=False)
    period = forms.ModelChoiceField(
        queryset=None,
        label="考核期",
        required=False,
        empty_label="请选择已公布的年度考核",
        help_text="依据考核等次召回的，该干部在所选年度考核中须为基本称职或不称职。",
    )
    cause = forms.ChoiceField(
        label="问题性质",
        choices=[("", "按所选情形确定"), *Cause.choices],
        required=False,
        help_text="决定建议的处理方式（分类施策）；依据惰政情形的，不选则按情形确定。",
    )
    reason = _text("召回理由", rows=4, help_text="写明具体表现和事实。")
    proposed_on = _date("提议日期")

    def __init__(self, *args, flag=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.flag = flag
        self.fields["period"].queryset = published_annual_periods()
        self.fields["period"].error_messages["invalid_choice"] = "请选择已公布的年度考核期。"
        self.fields["situation"].widget.attrs["class"] = "form-select"
        if flag is not None:
            self.fields["source"].choices = [(CaseSource.FLAG, CaseSource.FLAG.label)]
            self.fields["source"].initial = CaseSource.FLAG
            self.fields["source"].help_text = f"依据预警“{flag.rule_name}”提议。"
            self.fields["cause"].choices = [("", "请选择"), *Cause.choices]


class ApproveForm(StyledForm):
    decision = forms.ChoiceField(
        choices=[("approve", "批准"), ("reject", "不予批准")],
        widget=forms.HiddenInput,
        error_messages=_required("审批结果", "选择"),
    )
    approved_on = _date("审批日期")
    note = _text("审批意见", rows=2, required=False, help_text="不予批准的，须写明理由。")


class PublicizeForm(StyledForm):
    where = forms.CharField(
        label="公开范围",
        max_length=200,
        error_messages=_required("公开范围"),
        help_text="如：本单位公示栏、县电视台、政府网站。",
    )
    publicized_on = _date("公开日期")


class StudyForm(StyledForm):
    study_start = _date("学习班开始日期", required=True, today=False)
    study_end = _date("学习班结束日期", required=True, today=False)
    attendance = forms.ChoiceField(
        label="出勤情况",
        choices=[("", "请选择"), *Attendance.choices],
        error_messages=_required("出勤情况", "选择"),
    )
    study_fee = forms.CharField(
        label="本人交纳的学习费、生活费（元）",
        max_length=20,
        error_messages=_required("本人交纳的学习费、生活费（元，可填 0）"),
    )
    study_content = _text("学习内容", rows=2, help_text="谈心谈话、业务培训、思想道德教育、艰苦岗位体验等。")


class PenalizeForm(StyledForm):
    bonus_withheld = forms.CharField(
        label="扣发绩效奖励（元）", max_length=20, error_messages=_required("扣发的绩效奖励（元，可填 0）")
    )
    bonus_withheld_full = forms.BooleanField(label="扣发全年绩效奖励", required=False)
    penalized_on = _date("处理日期")
    penalty_note = _text("经济处理说明", rows=2, required=False)


class FollowUpForm(StyledForm):
    result = forms.ChoiceField(
        label="考察结果",
        choices=[("", "请选择"), *Result.choices],
        error_messages=_required("考察结果（合格或不合格）", "选择"),
    )
    followup_on = _date("考察日期")
    discipline_officer = forms.CharField(
        label="纪检部门考察人", max_length=50, error_messages=_required("纪检部门考察人")
    )
    org_officer = forms.CharField(
        label="组织部门考察人", max_length=50, error_messages=_required("组织部门考察人")
    )
    note = _text("考察意见", rows=2, required=False)


class OutcomeForm(StyledForm):
    outcome = forms.ChoiceField(
        label="处理结果",
        choices=[("", "请选择"), *Outcome.choices],
        error_messages=_required("处理结果", "选择"),
    )
    outcome_on = _date("处理日期")
    new_post_title = forms.CharField(
        label="新任职务", max_length=100, required=False, help_text="转岗、降职的须填写。"
    )
    new_rank = forms.ChoiceField(
        label="调整后的职级",
        choices=[("", "不变"), *Rank.choices],
        required=False,
        help_text="降职、降级的须选择。",
    )
    frontline_post = forms.CharField(label="锻炼岗位或项目", max_length=100, required=False)
    frontline_start = _date("锻炼开始日期", help_text="不填为处理日期。")
    frontline_months = forms.IntegerField(
        label="锻炼期限（月）",
        required=False,
        min_value=1,
        max_value=24,
        error_messages={"invalid": "请填写锻炼期限（月，整数）。"},
    )
    note = _text("处理说明", rows=2, required=False)

    def __init__(self, *args, after_frontline: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if after_frontline:
            # the stint is over: what is left is the final outcome
            self.fields["outcome"].choices = [
                c for c in self.fields["outcome"].choices if c[0] != Outcome.FRONTLINE
            ]
            for name in ("frontline_post", "frontline_start", "frontline_months"):
                del self.fields[name]
        for name in ("frontline_post", "frontline_start", "frontline_months"):
            if name in self.fields:
                self.fields[name].widget.attrs["data-outcome"] = Outcome.FRONTLINE
        self.fields["outcome"].widget.attrs["data-outcome-switch"] = "1"


# ---------------------------------------------------------------- points (记分制)


class PointFilterForm(StyledForm):
    unit = forms.ModelChoiceField(queryset=None, required=False)
    group = forms.ChoiceField(
        choices=[("", "全部类别"), *SituationGroup.choices], required=False, label="类别"
    )
    name = forms.CharField(required=False, label="干部姓名", max_length=50)
    date_from = forms.DateField(required=False, label="发生日期从", widget=DateInput())
    date_to = forms.DateField(required=False, label="至", widget=DateInput())

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        _unit_filter(self, user, units)
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"


class PointForm(CadrePickerForm):
    situation = SituationChoiceField(label="惰政情形")
    occurred_on = _date("发生日期")
    detail = _text("具体事实", rows=3, help_text="时间、地点、具体表现及发现途径。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["situation"].widget.attrs["class"] = "form-select"


# ---------------------------------------------------------------- catalogue and negative lists


class SituationForm(StyledForm):
    group = forms.ChoiceField(label="类别", choices=[("", "请选择"), *SituationGroup.choices])
    code = forms.CharField(label="编号", max_length=20, error_messages=_required("编号"))
    name = forms.CharField(label="情形", max_length=200, error_messages=_required("情形"))
    points = forms.IntegerField(
        label="记分",
        min_value=1,
        max_value=100,
        error_messages=_required("记分"),
        help_text="记分制下每次记的分数。",
    )
    cause = forms.ChoiceField(
        label="问题性质",
        choices=[("", "请选择"), *Cause.choices],
        help_text="据此建议处理方式（分类施策）。",
        error_messages=_required("问题性质", "选择"),
    )
    order = forms.IntegerField(label="排序", min_value=0, max_value=32767, required=False)
    active = forms.BooleanField(
        label="启用", required=False, initial=True, help_text="停用后不能再据此记分或提议召回。"
    )


class NegativeListAddForm(StyledForm):
    situation = SituationChoiceField(label="惰政情形")
    note = forms.CharField(
        label="具体表现", max_length=200, required=False, help_text="结合本单位实际的具体表现（选填）。"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["situation"].widget.attrs["class"] = "form-select"


class UnitPickForm(StyledForm):
    unit = forms.ModelChoiceField(queryset=None, required=True)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(user, units, label="单位", empty_label="请选择单位")
        self.fields["unit"].widget.attrs["class"] = "form-select"


# ---------------------------------------------------------------- flags and adjustments

FLAG_STATUS_FILTER = [("", "全部状态"), *FlagStatus.choices]


class FlagFilterForm(StyledForm):
    status = forms.ChoiceField(choices=FLAG_STATUS_FILTER, required=False, label="状态")
    rule = forms.ChoiceField(choices=[("", "全部规则")], required=False, label="预警规则")
    unit = forms.ModelChoiceField(queryset=None, required=False)
    name = forms.CharField(required=False, label="干部姓名", max_length=50)

    def __init__(self, *args, user, units, rules, **kwargs):
        super().__init__(*args, **kwargs)
        _unit_filter(self, user, units)
        self.fields["rule"].choices = [("", "全部规则"), *rules]
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"


class FlagDismissForm(StyledForm):
    reason = _text("排除理由", rows=3, help_text="写明研判经过和不作调整的理由。")


class AdjustmentForm(StyledForm):
    method = forms.ChoiceField(
        label="调整方式",
        choices=[("", "请选择"), *AdjustmentMethod.choices],
        error_messages=_required("调整方式", "选择"),
    )
    reason = _text("调整理由", rows=3, help_text="写明不适宜担任现职的具体情形和研判意见。")
    new_post_title = forms.CharField(
        label="新任职务", max_length=100, required=False, help_text="平职调整、降职的须填写。"
    )
    new_rank = forms.ChoiceField(
        label="调整后的职级",
        choices=[("", "不变"), *Rank.choices],
        required=False,
        help_text="降职的须选择。",
    )
    effective_on = forms.DateField(
        label="生效日期",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "生效日期格式不正确。"},
    )
    step_back = forms.BooleanField(
        label="退居二线", required=False, help_text="年龄较大、不适宜继续担任领导职务的。"
    )


class DecisionFilterForm(StyledForm):
    status = forms.ChoiceField(
        choices=[("", "全部状态"), *DecisionStatus.choices], required=False, label="状态"
    )
    method = forms.ChoiceField(
        choices=[("", "全部方式"), *AdjustmentMethod.choices], required=False, label="调整方式"
    )
    unit = forms.ModelChoiceField(queryset=None, required=False)
    name = forms.CharField(required=False, label="干部姓名", max_length=50)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        _unit_filter(self, user, units)
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"


class DecisionApproveForm(StyledForm):
    decision = forms.ChoiceField(
        choices=[("approve", "批准"), ("reject", "不予批准")],
        widget=forms.HiddenInput,
        error_messages=_required("审批结果", "选择"),
    )
    note = _text("审批意见", rows=2, required=False, help_text="不予批准的，须写明理由。")
