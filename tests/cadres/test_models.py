import datetime

import pytest
from django.core.exceptions import ValidationError

from cadres import idnumber
from cadres.models import Unit
from tests.factories import CadreFactory


def test_subtree_is_one_prefix_query(tree, django_assert_num_queries):
    with django_assert_num_queries(1):  # SELECT units WHERE path LIKE '<county_a>%'
        names = sorted(u.name for u in Unit.objects.filter(path__startswith=tree["county_a"].path))
    assert names == ["甲县", "甲镇"]


def test_id_number_with_wrong_check_digit_is_rejected_with_chinese_message(tree):
    good = idnumber.make("430121", datetime.date(1980, 5, 17), 11)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    cadre = CadreFactory.build(unit=tree["town_a"], id_number=bad)
    with pytest.raises(ValidationError) as err:
        cadre.full_clean()
    assert "校验位" in err.value.message_dict["id_number"][0]


def test_birth_date_must_match_id_number(tree):
    cadre = CadreFactory.build(unit=tree["town_a"], birth_date=datetime.date(1981, 5, 17))
    cadre.id_number = idnumber.make("430121", datetime.date(1980, 5, 17), 11)
    with pytest.raises(ValidationError) as err:
        cadre.full_clean()
    assert "1980年05月17日" in err.value.message_dict["birth_date"][0]


def test_mask_keeps_the_area_code_and_the_check_digit_only():
    # the birth day and the whole sequence are hidden: the birth year and month shown to the
    # same roles cannot fill the gap
    assert idnumber.mask("320102198005171234") == "320102***********4"
    assert idnumber.mask("32010219800517123X") == "320102***********X"
    assert idnumber.mask("1234567") == "*******"
    assert idnumber.mask("") == ""


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("0917-1234567", "091*****4567"),
        ("1234567", "12*4567"),
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_phone_numbers_are_masked_in_the_middle(phone, masked):
    assert idnumber.mask_phone(phone) == masked


def test_normalize_accepts_full_width_digits_spaces_and_lower_x():
    assert idnumber.normalize("４３０１２１ 19800517 001x") == "430121198005170 01X".replace(" ", "")
