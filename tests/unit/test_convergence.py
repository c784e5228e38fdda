"""The settle() barrier: it waits for late work instead of a fixed time, so a bug that shows up late fails."""
from __future__ import annotations

import asyncio

from kubenet.client.informer import Informer
from kubenet.client.workqueue import WorkQueue
from kubenet.controllers.base import Controller
from tests.unit.controller_harness import Cluster, run


def later(seconds: float) -> asyncio.Future:
    """A future the loop resolves after `seconds`: slow work inside a reconcile, not a wait in the test."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.call_later(seconds, done.set_result, None)
    return done


class SlowEcho(Controller):
    """For each ConfigMap `x`, creates `x-echo` after 0.3 s of "work": longer than the old fixed settle."""
    name = "slow-echo"

    def __init__(self, client, informers):
        super().__init__(client, informers)
        self.configmaps = informers.get("configmaps")
        self.configmaps.add_handlers(self.enqueue, lambda old, new: self.enqueue(new))

    async def reconcile(self, key: str) -> None:
        ns, name = key.split("/")
        if name.endswith("-echo") or self.configmaps.get(f"{ns}/{name}-echo"):
            return
        await later(0.3)
        await self.client.create("configmaps", {"metadata": {"name": f"{name}-echo"}}, ns)


def test_settle_waits_for_a_reconcile_that_writes_late():
    async def story():
        async with Cluster(SlowEcho) as c:
            await c.client.create("configmaps", {"metadata": {"name": "a"}}, "default")
            await c.settle()
            assert sorted(cm["metadata"]["name"] for cm in await c.list("configmaps")) == ["a", "a-echo"]
            # and the echo's own event was handled: the cache holds it
            assert c.controllers[0].configmaps.get("default/a-echo")
    run(story)


def test_a_queue_is_busy_while_a_key_waits_is_worked_on_or_retries_soon():
    async def story():
        queue = WorkQueue(base_delay=0.05)
        assert not queue.busy()
        queue.add("k")
        assert queue.busy()
        key = await queue.get()
        assert queue.busy()  # being reconciled
        queue.add_rate_limited(key)  # failed: back again in 0.05 s
        queue.done(key)
        assert queue.busy(horizon=0.1) and not queue.busy()
        queue.add_after("far", 60)
        waiter = asyncio.create_task(queue.wait_idle(horizon=0.1))
        assert (await queue.get()) == "k"  # the retry came due
        assert not waiter.done()
        queue.done("k")
        await asyncio.wait_for(waiter, 1)  # a key due in a minute is future work, not work in progress
        queue.shutdown()
    run(story)


def test_an_informer_reports_the_revision_its_handlers_have_seen():
    async def story():
        async with Cluster() as c:
            informer = Informer(c.client, "configmaps")
            seen = []
            informer.add_handlers(lambda obj: seen.append(obj["metadata"]["name"]))
            task = asyncio.create_task(informer.run())
            await informer.wait_synced()
            created = await c.client.create("configmaps", {"metadata": {"name": "b"}}, "default")
            revision = int(created["metadata"]["resourceVersion"])
            assert informer.synced_revision() < revision
            await asyncio.wait_for(informer.wait_revision(revision), 1)
            assert seen == ["b"] and informer.synced_revision() == revision
            task.cancel()
    run(story)
