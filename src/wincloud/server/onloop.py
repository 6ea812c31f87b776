"""Running a call on the service's event loop from another thread, and waiting for it.

The index, the tree cache and the loader belong to the event loop's thread; the admin API
(Starlette) runs its blocking calls in a thread pool, so its index refresh hops over here."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import TypeVar

from wincloud.errors import StoreError

T = TypeVar("T")


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The loop running in this thread, if any."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def call_on_loop(loop: asyncio.AbstractEventLoop, call: Callable[[], T], timeout: float) -> T:
    """``call()`` run on ``loop`` (from another thread), its result or its exception;
    StoreError when the loop has not run it within ``timeout`` seconds (then it never will)."""
    done: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        if done.set_running_or_notify_cancel():
            try:
                done.set_result(call())
            except BaseException as exc:  # handed to the waiting thread
                done.set_exception(exc)

    loop.call_soon_threadsafe(run)
    try:
        return done.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        if done.cancel():
            raise StoreError("the service did not catch up with the store in time") from None
        return done.result()  # it started just now: its own outcome
