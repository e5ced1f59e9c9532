"""To-dos on the home page. Each module registers a provider in its AppConfig.ready():

    todos.register(my_provider)   # my_provider(user) -> iterable of TodoItem

so the home page lists what every module wants from the user without knowing the modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

_providers: list[Callable] = []


@dataclass(frozen=True)
class TodoItem:
    title: str
    url: str = ""
    due: datetime | None = None
    level: str = "info"  # info / warning / danger
    count: int | None = None


def register(provider: Callable[..., Iterable[TodoItem]]) -> None:
    if provider not in _providers:
        _providers.append(provider)


def collect(user) -> list[TodoItem]:
    items: list[TodoItem] = []
    for provider in _providers:
        items.extend(provider(user))
    return sorted(items, key=lambda i: (i.due is None, i.due.timestamp() if i.due else 0))
