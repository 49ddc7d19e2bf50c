"""Pages of recall/: cases (召回管理), points, the catalogue and negative lists, flag review
(预警研判) and adjustment decisions. Each module owns its ``urlpatterns``; ``recall.urls``
joins them under the ``recall`` namespace."""
