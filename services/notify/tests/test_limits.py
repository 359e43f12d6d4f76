"""The bound on provider calls in flight: never more holders than slots, first come first served, and a
waiter cancelled at any moment neither keeps nor loses a slot."""

from __future__ import annotations

import asyncio

from kho_notify.adapters.limits import Slots


async def test_holders_never_exceed_the_slots_and_are_served_in_order() -> None:
    slots = Slots(3)
    holding = 0
    most = 0
    order: list[int] = []

    async def call(n: int) -> None:
        nonlocal holding, most
        async with slots.hold():
            order.append(n)
            holding += 1
            most = max(most, holding)
            await asyncio.sleep(0.001)
            holding -= 1

    await asyncio.gather(*(call(n) for n in range(200)))
    assert most == 3
    assert order == list(range(200))


async def test_a_cancelled_waiter_gives_its_turn_to_the_next() -> None:
    slots = Slots(1)
    release = asyncio.Event()
    served: list[str] = []

    async def holder() -> None:
        async with slots.hold():
            await release.wait()

    async def waiter(name: str) -> None:
        async with slots.hold():
            served.append(name)

    first = asyncio.create_task(holder())
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(waiter("cancelled"))
    patient = asyncio.create_task(waiter("patient"))
    await asyncio.sleep(0)
    cancelled.cancel()
    release.set()
    await asyncio.gather(first, patient)
    assert served == ["patient"]

    # cancelled after the slot was handed to it, before it ran: the slot goes on to the next waiter
    held = slots.hold()
    await held.__aenter__()
    unlucky = asyncio.create_task(waiter("unlucky"))
    last = asyncio.create_task(waiter("last"))
    await asyncio.sleep(0)
    await held.__aexit__(None, None, None)  # hands the slot to "unlucky" without letting it run
    unlucky.cancel()
    await asyncio.wait_for(last, 1)
    assert served == ["patient", "last"]
    async with asyncio.timeout(1):  # and nothing leaked: the one slot is free again
        async with slots.hold():
            pass
