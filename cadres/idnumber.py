"""Resident ID numbers (GB 11643), validated with python-stdnum's ``stdnum.cn.ric``.

python-stdnum checks the length, the check digit, the birth date and that the area code
existed in the birth year; we add normalisation of what people actually type (full-width
digits, spaces, lower-case x) and masking for roles that need not see the number.
"""

import datetime
import unicodedata

from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import ric

from core.crypto import keyed_hash, keyed_hasher


class IdNumberError(ValueError):
    """Raised with a Chinese message a user can act on."""


def normalize(value: str) -> str:
    """Full-width to half-width, drop spaces, upper-case the trailing x."""
    value = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(value.split()).upper()


def digest(value: str) -> str:
    """The keyed hash (HMAC-SHA256) of a number as normalised: what ``Cadre.id_number_hash``
    holds, and what every lookup by ID number compares."""
    return keyed_hash(normalize(value))


def digester():
    """``digest`` for many numbers at once, already normalised (a sheet's): the key is read once."""
    return keyed_hasher()


def validate(value: str) -> str:
    number = normalize(value)
    if not number:
        raise IdNumberError("身份证号不能为空。")
    if len(number) != 18:
        raise IdNumberError(f"身份证号应为18位，当前为{len(number)}位。")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError("身份证号格式不正确：前17位应为数字，最后一位为数字或X。")
    try:
        ric.validate(number)
    except stdnum_exceptions.InvalidChecksum:
        raise IdNumberError("身份证号校验位不正确，请核对是否录入有误。") from None
    except stdnum_exceptions.InvalidComponent:
        try:
            ric.get_birth_date(number)
        except stdnum_exceptions.InvalidComponent:
            raise IdNumberError("身份证号中的出生日期无效。") from None
        raise IdNumberError("身份证号中的行政区划代码无效。") from None
    except stdnum_exceptions.ValidationError:
        raise IdNumberError("身份证号格式不正确。") from None
    return number


def birth_date(number: str) -> datetime.date:
    return ric.get_birth_date(number)


def gender(number: str) -> str:
    """'M' for odd sequence digits, 'F' for even (GB 11643)."""
    return "M" if int(number[16]) % 2 else "F"


def mask(number: str) -> str:
    """320102***********4: the area code and the check digit only.

    Roles that may not see ID numbers see the birth year and month at most (and the gender),
    so the mask hides the birth day and the whole sequence: about 1,400 numbers fit what they
    see, where the older mask (area code and last four digits) left one birth day of at most
    31 to guess, and its check digit told which."""
    if not number:
        return ""
    if len(number) < 8:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 7) + number[-1:]


def mask_phone(number: str) -> str:
    """138****5678: a phone number or other contact with its middle hidden."""
    number = (number or "").strip()
    if len(number) < 7:
        return "*" * len(number)
    keep = 3 if len(number) >= 11 else 2
    return number[:keep] + "*" * (len(number) - keep - 4) + number[-4:]


def make(area_code: str, born: datetime.date, sequence: int) -> str:
    """Build a valid number (demo data and tests)."""
    body = f"{area_code}{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")
