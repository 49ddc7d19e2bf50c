"""REST endpoints of work orders (API owner fills in)."""


def register(router) -> None:
    pass


urlpatterns: list = []
