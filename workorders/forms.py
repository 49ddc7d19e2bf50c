"""Forms of the work-order pages. They only parse what the browser sends; the services validate
(and say why in Chinese). The cadre an order is dispatched to is picked by name or ID number."""

from django import forms
from django.utils import timezone

from cadres.forms import BootstrapMixin, CadrePickerForm, DateInput, unit_field

from .models import Cause, Channel, OrderStatus, PartyGroup, Rating

DATE_ERRORS = {"invalid": "请填写正确的日期。"}
OVERDUE = "1"


def _date(label: str, *, required: bool = True, today: bool = True, help_text: str = "") -> forms.DateField:
    field = forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        help_text=help_text,
        error_messages={"required": f"请填写{label}。", **DATE_ERRORS},
    )
    field.today = today  # filled with today's date on a blank form
    return field


def _text(
    label: str, limit: int, *, required: bool = True, rows: int = 0, help_text: str = ""
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=limit,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput(),
        error_messages={"required": f"请填写{label}。", "max_length": f"{label}不能超过{limit}个字。"},
    )


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()
        if not self.is_bound:
            for name, field in self.fields.items():
                if getattr(field, "today", False) and name not in self.initial:
                    self.initial[name] = timezone.localdate()


class GroupChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PartyGroup) -> str:
        unit = getattr(obj, "unit_name", None)
        return f"{unit} · {obj.name}" if unit else obj.name


# ---------------------------------------------------------------- the list


class OrderFilterForm(StyledForm):
    status = forms.ChoiceField(choices=[("", "全部状态"), *OrderStatus.choices], required=False, label="状态")
    channel = forms.ChoiceField(
        choices=[("", "全部渠道"), *Channel.choices], required=False, label="来源渠道"
    )
    unit = forms.ModelChoiceField(queryset=None, required=False)
    cadre = forms.CharField(required=False, label="承办干部", max_length=50)
    date_from = forms.DateField(
        required=False, label="点单日期自", widget=DateInput(), error_messages=DATE_ERRORS
    )
    date_to = forms.DateField(required=False, label="至", widget=DateInput(), error_messages=DATE_ERRORS)
    overdue = forms.BooleanField(required=False, label="只看逾期")

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units, required=False, label="单位（含下级）", empty_label="全部单位"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["cadre"].widget.attrs["placeholder"] = "姓名包含"

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "结束日期不能早于开始日期。")
        return data


# ---------------------------------------------------------------- recording a need


class OrderForm(StyledForm):
    unit = forms.ModelChoiceField(queryset=None)
    party_group = GroupChoiceField(
        queryset=None,
        required=False,
        label="党小组",
        empty_label="（不经党小组，由单位派单）",
        help_text="民心墙所在的党小组；须是所选村（社区）的党小组。",
    )
    channel = forms.ChoiceField(
        label="来源渠道",
        choices=[("", "请选择"), *Channel.choices],
        error_messages={"required": "请选择来源渠道。", "invalid_choice": "请选择来源渠道。"},
    )
    recorded_on = _date("点单日期", help_text="派单期限按所在单位的民情工单规则（默认点单后 3 天）计算。")
    title = _text("需求摘要", 100, help_text="公示在民心墙上，请勿写入居民姓名、电话、门牌等个人信息。")
    content = _text("需求详情", 2000, required=False, rows=3)
    resident_name = _text("居民姓名", 30)
    resident_contact = _text(
        "联系方式", 50, required=False, help_text="加密保存；无权查看身份证号的角色只能看到部分号码。"
    )
    relayed_by = _text(
        "代为诉说人", 30, required=False, help_text="居民委托他人代为诉说（来源渠道为“代为诉说”）时必填。"
    )

    def __init__(self, *args, user, units, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user,
            units,
            label="所属村（社区）",
            empty_label="请选择单位",
            error_messages={
                "required": "请选择工单所属村（社区）。",
                "invalid_choice": "请选择您管辖范围内的单位。",
            },
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["party_group"].queryset = groups
        self.fields["party_group"].error_messages["invalid_choice"] = "请选择您管辖范围内启用的党小组。"
        self.fields["resident_contact"].widget.attrs.update({"autocomplete": "off", "inputmode": "tel"})


# ---------------------------------------------------------------- the steps


class DispatchForm(CadrePickerForm):
    picker_label = "承办干部"

    party_group = GroupChoiceField(
        queryset=None, required=False, label="派单党小组", empty_label="（由单位派单）"
    )
    dispatched_on = _date("派单日期")
    note = _text("派单说明", 200, required=False)

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)  # the picker styles every field, these too
        self.fields["party_group"].queryset = groups
        self.fields["party_group"].error_messages["invalid_choice"] = "请选择本村（社区）启用的党小组。"
        if not self.is_bound and "dispatched_on" not in self.initial:
            self.initial["dispatched_on"] = timezone.localdate()


class AcceptForm(StyledForm):
    accepted_on = _date("接单日期")
    promised_on = _date("承诺限期", today=False, help_text="承办干部承诺办结的日期，不能早于接单日期。")


class HandleForm(StyledForm):
    handled_on = _date("办理完成日期")
    handling = _text("办理情况", 2000, rows=3, help_text="做了什么、解决到什么程度。")


class RateForm(StyledForm):
    rating = forms.ChoiceField(
        label="群众评价",
        choices=Rating.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "请选择群众评价：满意、基本满意或不满意。",
            "invalid_choice": "请选择群众评价：满意、基本满意或不满意。",
        },
    )
    rated_on = _date("评价日期")
    score = forms.IntegerField(
        label="评价得分",
        required=False,
        min_value=0,
        max_value=100,
        help_text="实行百分制评价的地方填写，0–100。",
        error_messages={
            "invalid": "评价得分应为 0–100 的整数。",
            "min_value": "评价得分应在 0 到 100 之间。",
            "max_value": "评价得分应在 0 到 100 之间。",
        },
    )
    note = _text("评价意见", 200, required=False)


class FollowupForm(StyledForm):
    followup_on = _date("回访日期")
    reason = _text("不满意原因", 2000, rows=3, help_text="上门或电话了解到的不满意缘由。")
    cause = forms.ChoiceField(
        label="原因类别",
        choices=Cause.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "请选择原因类别：干部个人原因或客观原因。",
            "invalid_choice": "请选择原因类别：干部个人原因或客观原因。",
        },
    )
    explanation = _text(
        "解释说明",
        2000,
        required=False,
        rows=2,
        help_text="客观原因的必填：向居民作了哪些解释说明，工单随即办结。",
    )


# ---------------------------------------------------------------- party groups


class GroupForm(StyledForm):
    unit = forms.ModelChoiceField(queryset=None)
    name = _text("党小组名称", 50, help_text="如：第一党小组、幸福路党小组。")
    leader = _text("党小组长", 30, required=False)
    active = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user,
            units,
            label="所属村（社区）",
            empty_label="请选择单位",
            error_messages={
                "required": "请选择党小组所属村（社区）。",
                "invalid_choice": "请选择您管辖范围内的单位。",
            },
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
