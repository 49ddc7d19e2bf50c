"""Pages (issue 17): filled in by the appeals work."""

urlpatterns: list = []
