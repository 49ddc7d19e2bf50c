"""Pages (issue 17): filled in by the quotas work."""

urlpatterns: list = []
