"""The printable 考核登记表 and results lists (issue 19; its owner fills this in)."""

urlpatterns: list = []
