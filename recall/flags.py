"""The flag job (to be written)."""


def flags_evaluate(*, job=None, today=None) -> dict:
    raise NotImplementedError
