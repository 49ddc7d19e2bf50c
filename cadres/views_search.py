"""The header search (issue 19; its owner fills this in)."""

urlpatterns: list = []
