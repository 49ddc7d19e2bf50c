from .views import board, groups, orders, statistics

app_name = "workorders"

# Each view module keeps its own urlpatterns; orders.py holds "home" (the list of orders).
urlpatterns = [
    *orders.urlpatterns,
    *groups.urlpatterns,
    *statistics.urlpatterns,
    *board.urlpatterns,
]
