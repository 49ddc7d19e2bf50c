"""Pages of work orders (orders). Filled in by its owner."""

urlpatterns: list = []
