"""Forms of the registry pages.

The forms only parse what the browser sends. Validation of the record itself lives in the
services (one door for every write, also for imports and the API), so the model forms here skip
Django's model validation and the views map the services' ValidationError back onto the fields.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import construct_instance

from .models import Cadre, CadreKind, CadreStatus, Education, PostRecord, TeamMembership, Unit
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
        return ("\u3000" * level) + ("└ " if level else "") + obj.name


def scope_base_depth(user) -> int:
    return user.unit.depth if getattr(user, "unit_id", None) else 1


def unit_field(user, units, **kwargs) -> UnitChoiceField:
    return UnitChoiceField(queryset=units.order_by("path"), base_depth=scope_base_depth(user), **kwargs)


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
            "township_service_start": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        }
        help_texts = {"id_number": "18位居民身份证号，系统校验末位校验码，并核对出生日期和性别。"}

    def __init__(self, *args, user, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(user, units, label="所在单位", empty_label="请选择单位")
        self.fields["unit"].widget.attrs["class"] = "form-select"


class CadreEditForm(CadreForm):
    reason = forms.CharField(
        label="修改原因",
        required=False,
        max_length=500,
        help_text="选填，记入全程纪实，如“职务调整（市委组织部文件）”。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["class"] = "form-control"


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


class TeamMemberForm(ServiceValidatedModelForm):
    class Meta:
        model = TeamMembership
        fields = ["cadre", "role_title", "is_main_leader", "order"]
        help_texts = {"is_main_leader": "勾选后，原主要负责人将自动取消。"}

    def __init__(self, *args, cadres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = cadres
        self.fields["cadre"].label_from_instance = lambda c: f"{c.name}（{c.unit.name} {c.post_title}）"
        self.fields["cadre"].empty_label = "请选择干部"
        self.fields["role_title"].widget.attrs["placeholder"] = "如：党委书记"
        self.fields["order"].required = False
        self.fields["order"].help_text = "小的在前。"
