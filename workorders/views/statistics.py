"""Pages of work orders (statistics). Filled in by its owner."""

urlpatterns: list = []
