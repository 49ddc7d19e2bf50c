"""Pages of work orders (groups). Filled in by its owner."""

urlpatterns: list = []
