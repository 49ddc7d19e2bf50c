"""Pages (issue 17): filled in by the whatif work."""

urlpatterns: list = []
