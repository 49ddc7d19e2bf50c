"""Forms of the interview pages (谈话监督).

As in the registry, the forms only parse what the browser sends; the services validate the record
and the workflow (with Chinese messages), and the views map their errors back onto the fields.
Fields the services check are therefore not ``required`` here.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from cadres.forms import BootstrapMixin, DateInput, unit_field
from cadres.models import Cadre
from cadres.selectors import LOOKUP_LIMIT, cadre_lookup, cadres_visible_to

from .models import FollowUp, InterviewKind, InterviewReason, InterviewStatus, ReasonAudience, SubjectType

# Service error keys that name something other than the form field showing it.
FIELD_ALIASES = {"cadre": "cadre_query", "received_on": "report_received_on", "note": "review_note"}

ATTACHMENT_STAGES = [
    ("proposal", "提议材料"),
    ("notice", "约谈预告"),
    ("record", "约谈记录"),
    ("report", "整改报告"),
    ("review", "评估材料"),
    ("other", "其他"),
]


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form: by field where the form shows it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            field = FIELD_ALIASES.get(field, field)
            form.add_error(
                field if field in form.fields and not form.fields[field].widget.is_hidden else None, errors
            )
    else:
        form.add_error(None, exc.messages)


class StyledForm(BootstrapMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


def step_date_field(label: str) -> forms.DateField:
    """The date a 约谈 step happened: the user's to enter, today if left empty (the service checks
    it against the other steps' dates)."""
    return forms.DateField(
        label=label, required=False, widget=DateInput(), help_text="按实际发生日期填写，不填为今天。"
    )


class StepForm(StyledForm):
    """A 约谈 step: its date field(s) start at today."""

    date_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.date_fields:
            self.fields[name].initial = timezone.localdate()


# ---------------------------------------------------------------- list filters


class InterviewFilterForm(StyledForm):
    kind = forms.ChoiceField(choices=[("", "全部类别"), *InterviewKind.choices], required=False, label="类别")
    status = forms.ChoiceField(
        choices=[("", "全部状态"), *InterviewStatus.choices], required=False, label="状态"
    )
    name = forms.CharField(required=False, label="对象或单位", max_length=50)
    overdue = forms.BooleanField(required=False, label="只看整改报告逾期")
    date_from = forms.DateField(required=False, label="谈话日期自", widget=DateInput())
    date_to = forms.DateField(required=False, label="至", widget=DateInput())

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units, required=False, label="单位（含下级）", empty_label="全部单位"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["name"].widget.attrs["placeholder"] = "姓名或单位名称包含"

    def clean(self):
        data = super().clean()
        low, high = data.get("date_from"), data.get("date_to")
        if low and high and low > high:
            self.add_error("date_to", "结束日期不能早于开始日期。")
        return data


# ---------------------------------------------------------------- create


class ReasonField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.text


class InterviewCreateForm(StyledForm):
    """One page for every kind: 约谈 is proposed (with the proposal's date), the others are recorded
    at once with the date of the talk.

    The cadre is typed (name or ID number) and resolved inside the user's scope, so the page works
    the same with 20 or 20,000 cadres; namesakes are offered as a choice."""

    kind = forms.ChoiceField(label="类别", choices=InterviewKind.choices, widget=forms.RadioSelect)
    subject_type = forms.ChoiceField(
        label="对象类型", choices=SubjectType.choices, widget=forms.RadioSelect, initial=SubjectType.CADRE
    )
    cadre_query = forms.CharField(
        label="谈话对象（干部）",
        required=False,
        max_length=50,
        help_text="填写姓名或18位身份证号，在您的管辖范围内查找；同名时请在下方选择。",
    )
    cadre = forms.IntegerField(required=False, widget=forms.HiddenInput)
    reasons = ReasonField(queryset=InterviewReason.objects.none(), required=False, label="情形")
    reason_detail = forms.CharField(
        label="具体问题", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    proposed_on = step_date_field("提议日期")
    conducted_on = forms.DateField(label="谈话日期", required=False, widget=DateInput())
    location = forms.CharField(label="地点", required=False, max_length=100)
    interviewers = forms.CharField(label="谈话人", required=False, max_length=200)
    record = forms.CharField(label="谈话记录", required=False, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposed_on"].initial = timezone.localdate()
        self.user = user
        self.fields["unit"] = unit_field(
            user, units, required=False, label="领导班子所在单位", empty_label="请选择单位"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        self.fields["reasons"].queryset = InterviewReason.objects.filter(active=True)
        self.fields["cadre_query"].widget.attrs.update(
            {"placeholder": "姓名或身份证号", "autocomplete": "off", "spellcheck": "false"}
        )
        self.fields["interviewers"].widget.attrs["placeholder"] = "如：组织部副部长 王某"
        self.candidates: list[Cadre] = []
        self._style_widgets()
        for name in ("kind", "subject_type", "reasons"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def reason_groups(self):
        """The catalogue grouped by audience, with the form's checked state (for the template)."""
        chosen = {
            str(v)
            for v in (self.data.getlist("reasons") if self.is_bound else self.initial.get("reasons", []))
        }
        groups = {
            value: {"value": value, "label": label, "items": []} for value, label in ReasonAudience.choices
        }
        for reason in self.fields["reasons"].queryset:
            groups[reason.audience]["items"].append({"reason": reason, "checked": str(reason.pk) in chosen})
        return [g for g in groups.values() if g["items"]]

    def _resolve_cadre(self, data) -> Cadre | None:
        scoped = cadres_visible_to(self.user).select_related("unit")
        if data.get("cadre"):
            found = scoped.filter(pk=data["cadre"]).first()
            query = (data.get("cadre_query") or "").strip()
            # A picked cadre stands unless the user typed a different name afterwards.
            if found and (not query or query in (found.name, found.id_number)):
                return found
        query = (data.get("cadre_query") or "").strip()
        if not query:
            self.add_error("cadre_query", "请填写谈话对象的姓名或身份证号。")
            return None
        matches = cadre_lookup(self.user, query)
        if len(matches) == 1:
            return matches[0]
        if not matches:
            self.add_error("cadre_query", f"在您的管辖范围内没有找到“{query}”，请核对姓名或身份证号。")
        elif len(matches) > LOOKUP_LIMIT:
            self.add_error(
                "cadre_query", f"符合“{query}”的干部超过{LOOKUP_LIMIT}名，请填写完整姓名或身份证号。"
            )
        else:
            self.candidates = matches
            how = "名为" if all(m.name == query for m in matches) else "符合"
            self.add_error("cadre_query", f"有{len(matches)}名干部{how}“{query}”，请在下方选择一位。")
        return None

    def clean(self):
        data = super().clean()
        data["resolved_cadre"] = None
        if data.get("subject_type") == SubjectType.CADRE:
            data["resolved_cadre"] = self._resolve_cadre(data)
        return data


# ---------------------------------------------------------------- edit


class InterviewEditForm(StyledForm):
    """Corrections of the descriptive fields; dates and status change only through the steps."""

    reason_detail = forms.CharField(
        label="具体问题", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    location = forms.CharField(label="地点", required=False, max_length=100)
    interviewers = forms.CharField(label="谈话人", required=False, max_length=200)
    record = forms.CharField(label="谈话记录", required=False, widget=forms.Textarea(attrs={"rows": 6}))
    report_summary = forms.CharField(
        label="整改报告摘要", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    review_note = forms.CharField(label="评估意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(
        label="修改原因", required=False, max_length=500, help_text="选填，记入全程纪实。"
    )

    def __init__(self, *args, interview, **kwargs):
        kwargs.setdefault(
            "initial", {name: getattr(interview, name) for name in self.base_fields if name != "reason"}
        )
        super().__init__(*args, **kwargs)
        # Only what the record already holds can be corrected.
        if not interview.conducted_on:
            for name in ("location", "interviewers", "record"):
                del self.fields[name]
        if not interview.report_received_on:
            del self.fields["report_summary"]
        if not interview.reviewed_on:
            del self.fields["review_note"]

    def changed_values(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason" and k in self.changed_data}


# ---------------------------------------------------------------- the 约谈 steps


class ApproveForm(StepForm):
    date_fields = ("approved_on",)
    decision = forms.ChoiceField(
        choices=[("approve", "批准"), ("reject", "不予批准")], widget=forms.HiddenInput
    )
    approved_on = step_date_field("审批日期")
    approval_note = forms.CharField(
        label="审批意见",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="不予批准时必填。",
    )


class NoticeForm(StepForm):
    date_fields = ("notice_sent_on",)
    notice_sent_on = step_date_field("预告日期")
    scheduled_for = forms.DateTimeField(
        label="约定约谈时间",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class ConductForm(StepForm):
    date_fields = ("conducted_on",)
    conducted_on = step_date_field("约谈日期")
    location = forms.CharField(label="地点", required=False, max_length=100)
    interviewers = forms.CharField(label="约谈人", required=False, max_length=200)
    record = forms.CharField(
        label="约谈记录（全程纪实）", required=False, widget=forms.Textarea(attrs={"rows": 5})
    )


class CadreAftermathForm(StepForm):
    date_fields = ("main_leader_informed_on",)
    main_leader_informed_on = step_date_field("通报主要负责人日期")


class TeamAftermathForm(StepForm):
    date_fields = ("team_meeting_on",)
    team_meeting_on = step_date_field("班子会议日期")
    team_meeting_report = forms.CharField(
        label="班子会议情况",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="通报约谈情况、查找问题、议定整改措施的情况。",
    )


class ReportForm(StepForm):
    date_fields = ("report_received_on",)
    report_received_on = step_date_field("整改报告提交日期")
    report_summary = forms.CharField(
        label="整改报告摘要",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="思想认识、整改措施和整改情况。",
    )


class ReviewForm(StepForm):
    date_fields = ("reviewed_on",)
    reviewed_on = step_date_field("评估日期")
    improved = forms.ChoiceField(
        label="整改是否到位",
        choices=[("yes", "整改到位"), ("no", "整改不到位")],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择整改是否到位。"},
    )
    review_note = forms.CharField(label="评估意见", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    follow_up = forms.ChoiceField(
        label="后续处理建议（整改不到位时）",
        choices=[("", "—"), *FollowUp.choices],
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, overdue_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if overdue_only:
            # Without a report, only 'not improved' is possible (the service enforces it too).
            self.fields["improved"].choices = [("no", "整改不到位（逾期未提交整改报告）")]
            self.fields["improved"].initial = "no"
        self.fields["follow_up"].choices = list(FollowUp.choices)


class AttachmentForm(StyledForm):
    file = forms.FileField(label="文件", help_text="PDF或图片（JPG、PNG、GIF、WEBP），按文件内容判断类型。")
    stage = forms.ChoiceField(label="环节", choices=ATTACHMENT_STAGES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = "application/pdf,image/*"
        self.fields["file"].error_messages["required"] = "请选择要上传的文件。"


# ---------------------------------------------------------------- monthly summary


class SummaryForm(StyledForm):
    year = forms.IntegerField(label="年份", min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(label="月份", coerce=int, choices=[(m, f"{m}月") for m in range(1, 13)])

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user, units, required=False, label="单位（含下级）", empty_label="全部单位"
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
