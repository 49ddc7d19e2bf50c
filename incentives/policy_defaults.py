"""The incentive rules' defaults, written by migration 0002 (administrators then change the
stored rows). Each area appends the defaults of the kinds it registers, as
``(kind, key, params, note)``; the params must pass that kind's ``clean_params``."""

DEFAULT_RULES: list[tuple[str, str, dict, str]] = []
