"""Forms of the registry pages.

The forms only parse what the browser sends. Validation of the record itself lives in the
services (one door for every write, also for imports and the API), so the model forms here skip
Django's model validation and the views map the services' ValidationError back onto the fields.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance

from .models import Cadre, CadreKind, CadreStatus, Education, PostRecord, Unit
from .selectors import LOOKUP_LIMIT, cadre_lookup, cadres_visible_to, unit_label
from .services import CADRE_FIELDS


class BootstrapMixin:
    """Bootstrap classes on every widget, plus ``is-invalid`` on fields that carry an error."""

    def _style_widgets(self):
        for field in self.fields.values():
            widget = field.widget
            # RadioSelect and CheckboxSelectMultiple put the class on each of their inputs
            if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect)):
                css = "form-check-input"
            elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                if "is-invalid" not in widget.attrs.get("class", ""):
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class ServiceValidatedModelForm(BootstrapMixin, forms.ModelForm):
    """A ModelForm whose record-level validation is left to the service layer."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()
        for field in self.fields.values():
            if isinstance(field, forms.TypedChoiceField) and field.choices and field.choices[0][0] == "":
                field.choices = [("", "请选择"), *field.choices[1:]]

    def _post_clean(self):
        # Skip construct_instance + full_clean: the service validates (and reports in Chinese).
        pass

    def to_instance(self):
        """The instance with the cleaned values applied, unsaved, for the service to validate."""
        return construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError onto the form: by field where the form has it, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class UnitChoiceField(forms.ModelChoiceField):
    """A unit select in tree order, indented by depth below ``base_depth``."""

    def __init__(self, *args, base_depth: int = 1, **kwargs):
        self.base_depth = base_depth
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Unit) -> str:
        level = max(obj.depth - self.base_depth, 0)
        # U+3000 survives HTML whitespace collapsing inside <option>.
        return ("\u3000" * level) + ("└ " if level else "") + getattr(obj, "label", obj.name)


def scope_base_depth(user) -> int:
    return user.unit.depth if getattr(user, "unit_id", None) else 1


def unit_field(user, units, **kwargs) -> UnitChoiceField:
    units = units.annotate(label=unit_label()).order_by("path")
    return UnitChoiceField(queryset=units, base_depth=scope_base_depth(user), **kwargs)


# ---------------------------------------------------------------- picking a cadre


class CadrePickerForm(BootstrapMixin, forms.Form):
    """Picks one cadre of the user's scope: by ID number, or by name narrowed by unit.

    With several matches the form offers them as choices (``candidates``); a cadre passed as
    ``preset`` (from the profile's link) is fixed and shown by name; ``within`` confines the
    choice to a unit's subtree (the unit page's leadership team). Shared by every page that
    picks a cadre: a search, never a drop-down of thousands.
    """

    picker_label = "干部"

    cadre = forms.IntegerField(required=False, widget=forms.HiddenInput)
    cadre_query = forms.CharField(label="干部", required=False, max_length=50)
    cadre_unit = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, user, units, preset=None, within: Unit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()
        self.user = user
        self.preset = preset
        self.within = within
        self.candidates: list = []
        self.too_many = False
        self.fields["cadre_query"].label = self.picker_label
        self.fields[
            "cadre_query"
        ].help_text = "填写姓名或18位身份证号；同名干部较多时，可同时选择单位缩小范围。"
        self.fields["cadre_query"].widget.attrs.update(
            {"placeholder": "姓名或身份证号", "autocomplete": "off", "spellcheck": "false"}
        )
        self.fields["cadre_unit"] = unit_field(
            user, units, required=False, label="所在单位（含下级）", empty_label="全部单位"
        )
        self.fields["cadre_unit"].widget.attrs["class"] = "form-select"
        if preset is not None:
            self.fields["cadre"].initial = preset.pk

    def clean(self):
        data = super().clean()
        pk = data.get("cadre")
        if pk:
            chosen = self._cadres().select_related("unit").filter(pk=pk).first()
            if chosen is None:
                where = f"“{self.within.name}”及其下级单位" if self.within else "您的管辖范围"
                self.add_error("cadre_query", f"该干部不存在或不在{where}内。")
            data["cadre"] = chosen
            return data
        query = (data.get("cadre_query") or "").strip()
        if not query:
            self.add_error("cadre_query", f"请填写{self.picker_label}的姓名或身份证号。")
            return data
        matches = cadre_lookup(self.user, query, unit=data.get("cadre_unit") or self.within)
        if not matches:
            where = f"“{self.within.name}”及其下级单位" if self.within else "您的管辖范围"
            self.add_error("cadre_query", f"在{where}内没有找到“{query}”，请核对姓名或身份证号。")
        elif len(matches) > LOOKUP_LIMIT:
            self.too_many = True
            self.add_error(
                "cadre_query",
                f"符合“{query}”的干部超过{LOOKUP_LIMIT}名，请填写完整姓名或身份证号，或选择单位缩小范围。",
            )
        elif len(matches) > 1:
            self.candidates = matches
            self.add_error("cadre_query", f"找到{len(matches)}名符合“{query}”的干部，请在下方选择一位。")
        else:
            data["cadre"] = matches[0]
        return data

    def _cadres(self):
        qs = cadres_visible_to(self.user)
        return qs.filter(unit__path__startswith=self.within.path) if self.within else qs


# ---------------------------------------------------------------- cadres


class CadreForm(ServiceValidatedModelForm):
    class Meta:
        model = Cadre
        fields = CADRE_FIELDS
        widgets = {
            "birth_date": DateInput(),
            "work_start_date": DateInput(),
            "party_join_date": DateInput(),
            "post_start_date": DateInput(),
            "rank_start_date": DateInput(),
            "township_service_start": DateInput(),
            "probation_end": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        }
        help_texts = {
            "id_number": "18位居民身份证号，系统校验末位校验码，并核对出生日期和性别。",
            "probation_end": "新录用人员填写，不能早于参加工作时间；考核年度末（12月31日）仍在试用期内的，年度考核不定等次。",
        }

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(user, units, label="所在单位", empty_label="请选择单位")
        self.fields["unit"].widget.attrs["class"] = "form-select"


APPROVAL_HELP = (
    "选填。干部到乡镇工作未满规定年限的，调出乡镇或借调须经部长（分管负责人）审批："
    "填写审批理由即为同意，理由记入全程纪实。"
)


def add_approval_field(form, user) -> None:
    """The 审批理由 field, for heads only (``approve``): it lets a move the move checks refuse
    (``cadres.moves``) go through. Other roles never see it, and the service refuses theirs."""
    if user.can("approve"):
        form.fields["approval_reason"] = forms.CharField(
            label="审批理由", required=False, max_length=500, help_text=APPROVAL_HELP
        )
        form.fields["approval_reason"].widget.attrs["class"] = "form-control"


class CadreEditForm(CadreForm):
    reason = forms.CharField(
        label="修改原因",
        required=False,
        max_length=500,
        help_text="选填，记入全程纪实，如“职务调整（市委组织部文件）”。",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["reason"].widget.attrs["class"] = "form-control"
        add_approval_field(self, user)


class CadreDeleteForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label="删除原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="必填，记入全程纪实。",
        error_messages={"required": "请填写删除原因。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._style_widgets()


class CadreFilterForm(BootstrapMixin, forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), required=False, label="单位")
    kind = forms.ChoiceField(choices=[("", "全部类别"), *CadreKind.choices], required=False, label="类别")
    status = forms.ChoiceField(choices=[("", "全部状态"), *CadreStatus.choices], required=False, label="状态")
    name = forms.CharField(required=False, label="姓名", max_length=50)
    age_min = forms.IntegerField(required=False, min_value=0, max_value=120, label="年龄自")
    age_max = forms.IntegerField(required=False, min_value=0, max_value=120, label="至")

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(user, units, required=False, label="单位", empty_label="全部单位")
        self.fields["name"].widget.attrs["placeholder"] = "姓名包含"
        self.fields["age_min"].widget.attrs["placeholder"] = "最小"
        self.fields["age_max"].widget.attrs["placeholder"] = "最大"
        self._style_widgets()

    def clean(self):
        data = super().clean()
        low, high = data.get("age_min"), data.get("age_max")
        if low is not None and high is not None and low > high:
            self.add_error("age_max", "最大年龄不能小于最小年龄。")
        return data


# ------------------------------------------------- education and post history


class EducationForm(ServiceValidatedModelForm):
    class Meta:
        model = Education
        fields = ["level", "degree", "school", "major", "mode", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}


class PostRecordForm(ServiceValidatedModelForm):
    class Meta:
        model = PostRecord
        fields = ["unit", "unit_name", "title", "kind", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            user,
            units,
            required=False,
            label="任职单位（系统内）",
            empty_label="系统外单位（在右侧填写名称）",
        )
        self.fields["unit"].widget.attrs["class"] = "form-select"
        # The service fills the name from the chosen unit; only an outside unit needs it typed.
        self.fields["unit_name"].required = False
        self.fields["unit_name"].help_text = "选择系统内单位时可留空，自动填写。"
        add_approval_field(self, user)

    def clean(self):
        data = super().clean()
        if not data.get("unit") and not data.get("unit_name"):
            self.add_error("unit_name", "请选择任职单位，或填写系统外单位名称。")
        return data


HISTORY_FORMS = {"education": EducationForm, "post": PostRecordForm}


# ---------------------------------------------------------------- units


class UnitCreateForm(ServiceValidatedModelForm):
    class Meta:
        model = Unit
        fields = ["code", "name", "kind"]

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"] = unit_field(
            user, units, required=False, label="上级单位", empty_label="（无，作为顶级单位）"
        )
        self.fields["parent"].widget.attrs["class"] = "form-select"
        self.order_fields(["parent", "code", "name", "kind"])


class UnitEditForm(ServiceValidatedModelForm):
    class Meta:
        model = Unit
        fields = ["code", "name"]


class TeamMemberForm(CadrePickerForm):
    """A cadre of the unit's subtree, found by the cadre search (a city has thousands: no
    drop-down of them all), and the role in the team."""

    picker_label = "班子成员"

    role_title = forms.CharField(label="班子职务", max_length=50)
    order = forms.IntegerField(
        label="排序", required=False, min_value=0, max_value=32767, help_text="小的在前。"
    )
    is_main_leader = forms.BooleanField(
        label="主要负责人", required=False, help_text="勾选后，原主要负责人将自动取消。"
    )

    def __init__(self, *args, user, unit: Unit, **kwargs):
        super().__init__(
            *args, user=user, units=Unit.objects.filter(path__startswith=unit.path), within=unit, **kwargs
        )
        self.fields["role_title"].widget.attrs["placeholder"] = "如：党委书记"
