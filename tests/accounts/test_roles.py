import pytest

from accounts.roles import Role
from tests.factories import make_user

EXPECTED = {
    Role.STAFF: {"edit_registry", "view_id_number", "view_audit", "import_sheets"},
    Role.HEAD: {"edit_registry", "view_id_number", "view_audit", "import_sheets", "approve"},
    Role.COUNTY_ADMIN: {"view_id_number", "import_sheets"},
    Role.API_READER: set(),
    Role.AUDITOR: {"view_audit"},
}
CAPABILITIES = {"edit_registry", "view_id_number", "view_audit", "import_sheets", "approve"}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_holds_exactly_its_capabilities(role, tree):
    user = make_user(f"u_{role}", role, tree["county_a"])
    assert {c for c in CAPABILITIES if user.can(c)} == EXPECTED[role]


def test_an_inactive_user_can_do_nothing(tree):
    user = make_user("gone", Role.HEAD, tree["county_a"], is_active=False)
    assert not any(user.can(c) for c in CAPABILITIES)


def test_a_user_without_a_unit_sees_nothing_unless_superuser(tree):
    assert make_user("nounit", Role.STAFF, None).scope_path is None
    root = make_user("root", Role.STAFF, None, is_superuser=True)
    assert root.scope_path == ""


def test_scope_is_the_units_materialized_path(tree):
    user = make_user("county", Role.COUNTY_ADMIN, tree["county_a"])
    assert tree["town_a"].path.startswith(user.scope_path)
    assert not tree["town_b"].path.startswith(user.scope_path)
