"""Assessment fixtures: periods made through the services, as users make them."""

import pytest

from accounts.roles import Role
from assessment.models import PeriodStatus
from assessment.services.periods import period_create, period_transition


@pytest.fixture
def staff(users):
    return users[Role.STAFF]


@pytest.fixture
def head(users):
    return users[Role.HEAD]


@pytest.fixture
def city_staff(users):
    return users["city_staff"]


@pytest.fixture
def annual_period(users, cadre_a, cadre_b):
    """2025 annual period, collecting: base scheme copied from the default template
    (德 能 勤 绩 廉 民主测评), assessment rows opened for 张三 (甲镇) and 李四 (乙镇)."""
    actor = users["city_staff"]
    period = period_create(actor=actor, name="2025年度干部考核", year=2025)
    return period_transition(actor=actor, period=period, to=PeriodStatus.COLLECTING)


@pytest.fixture
def quarter_period(users):
    """2025 first-quarter 平时考核, still a draft (scheme: one indicator 得分)."""
    return period_create(actor=users["city_staff"], name="2025年第一季度平时考核", year=2025, quarter=1)
