"""Pages of work orders (board). Filled in by its owner."""

urlpatterns: list = []
