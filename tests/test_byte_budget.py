"""The budget of bytes in flight that every download of the process shares."""

from __future__ import annotations

import asyncio

import pytest

from bot.byte_budget import ByteBudget


async def _started(budget: ByteBudget, amount: int, order: list[int], release: asyncio.Event) -> None:
    async with budget.reserve(amount):
        order.append(amount)
        await release.wait()


async def test_reservations_wait_until_their_bytes_are_free() -> None:
    budget = ByteBudget(100)
    order: list[int] = []
    release = asyncio.Event()
    tasks = [asyncio.create_task(_started(budget, amount, order, release)) for amount in (60, 30, 20)]
    await asyncio.sleep(0.01)
    assert order == [60, 30] and budget.in_use == 90  # 20 more would pass the limit
    release.set()
    await asyncio.gather(*tasks)
    assert order == [60, 30, 20] and budget.in_use == 0


async def test_a_large_reservation_is_not_passed_over_by_small_ones() -> None:
    budget = ByteBudget(100)
    order: list[int] = []
    first, rest = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(_started(budget, 50, order, first))
    await asyncio.sleep(0)
    large = asyncio.create_task(_started(budget, 80, order, rest))
    await asyncio.sleep(0)
    small = asyncio.create_task(_started(budget, 10, order, rest))  # it would fit, but waits its turn
    await asyncio.sleep(0.01)
    assert order == [50]
    first.set()
    await asyncio.sleep(0.01)
    assert order == [50, 80, 10] and budget.in_use == 90
    rest.set()
    await asyncio.gather(holder, large, small)
    assert budget.in_use == 0


async def test_one_larger_than_the_budget_runs_alone() -> None:
    budget = ByteBudget(100)
    async with budget.reserve(1_000) as held:
        assert held.amount == 100 and budget.in_use == 100
    assert budget.in_use == 0


async def test_what_is_given_back_early_lets_the_next_one_start() -> None:
    budget = ByteBudget(100)
    order: list[int] = []
    release = asyncio.Event()
    async with budget.reserve(90) as held:
        waiting = asyncio.create_task(_started(budget, 50, order, release))
        await asyncio.sleep(0.01)
        assert order == []
        held.shrink(40)
        held.shrink(70)  # never grows back
        await asyncio.sleep(0.01)
        assert order == [50] and held.amount == 40 and budget.in_use == 90
        release.set()
        await waiting
    assert budget.in_use == 0


async def test_a_cancelled_wait_takes_nothing_and_blocks_nobody() -> None:
    budget = ByteBudget(100)
    order: list[int] = []
    release = asyncio.Event()
    async with budget.reserve(70):
        blocked = asyncio.create_task(_started(budget, 80, order, release))
        behind = asyncio.create_task(_started(budget, 30, order, release))
        await asyncio.sleep(0.01)
        blocked.cancel()
        await asyncio.sleep(0.01)
        assert order == [30] and budget.in_use == 100
        release.set()
        await behind
        with pytest.raises(asyncio.CancelledError):
            await blocked
    assert budget.in_use == 0


def test_a_budget_needs_room_for_something() -> None:
    with pytest.raises(ValueError):
        ByteBudget(0)
