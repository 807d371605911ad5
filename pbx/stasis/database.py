"""The one thread where the Stasis process touches the database: never the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import close_old_connections, connections

T = TypeVar("T")


class DatabaseThread:
    """All ORM work of the pump runs here, one call at a time, never on the event loop."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="centrala-db")

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        def call() -> T:
            close_old_connections()
            return func(*args)

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def close(self) -> None:
        await self.run(connections.close_all)
        self._executor.shutdown(wait=True)
