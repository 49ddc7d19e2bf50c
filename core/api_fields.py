from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.STR)
class LabelChoiceField(serializers.ChoiceField):
    """A choice shown by its Chinese label (``县``) that accepts the label or the code (``county``)."""

    def __init__(self, choices_enum, **kwargs):
        self.enum = choices_enum
        self.by_label = {label: value for value, label in choices_enum.choices}
        super().__init__(choices=choices_enum.choices, **kwargs)
        self.help_text = kwargs.get("help_text") or "可选值：" + "、".join(self.by_label)

    def to_internal_value(self, data):
        if isinstance(data, str) and data.strip() in self.by_label:
            return self.by_label[data.strip()]
        if data in self.enum.values:
            return data
        self.fail("invalid_choice", input=data)

    def to_representation(self, value):
        if value in ("", None):
            return value
        return self.enum(value).label


def resolve_choice(choices_enum, value: str) -> str | None:
    """A filter value given as label or code -> the stored code; None if it is neither."""
    value = (value or "").strip()
    for code, label in choices_enum.choices:
        if value in (code, label):
            return code
    return None
