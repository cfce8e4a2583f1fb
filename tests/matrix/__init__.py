"""The permission matrix: every route x every role -> expected status.

Each feature lists its routes in ``tests/matrix/<feature>.py`` as ``ROUTES``. A route in the URL map
that no module lists fails ``test_every_route_is_in_the_matrix``.
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Route:
    endpoint: str
    method: str
    #: The URL, or a function (called inside an app context) that builds it from demo data.
    url: str | Callable[[], str]
    #: Expected status per role; roles not named get ``other``; anonymous gets ``anon``.
    expect: dict[str, int | tuple[int, ...]] = field(default_factory=dict)
    anon: int | tuple[int, ...] = 302
    other: int | tuple[int, ...] = 200
    #: Form data for POST requests.
    data: dict | Callable[[], dict] | None = None

    def expected(self, role: str) -> tuple[int, ...]:
        if role == "anonymous":
            value = self.expect.get("anonymous", self.anon)
        else:
            value = self.expect.get(role, self.other)
        return value if isinstance(value, tuple) else (value,)

    @property
    def key(self) -> tuple[str, str]:
        return (self.endpoint, self.method)


def all_routes() -> list[Route]:
    routes = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        routes.extend(getattr(module, "ROUTES", []))
    return routes
