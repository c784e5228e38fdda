"""Mirror Pods of the control plane's static Pods: posted, kept, recreated, and their logs."""
from __future__ import annotations

import asyncio
import logging
import re

from kubenet.client.informer import Informer
from kubenet.cluster import control_plane_pods
from kubenet.cluster.config import ClusterConfig
from kubenet.kubelet import static_pods
from kubenet.kubelet.static_pods import MIRROR_ANNOTATION, StaticPods, is_mirror_pod
from tests.unit.controller_harness import Cluster, add_node, run

NODE, NODE_IP = "kn-control-plane", "172.18.0.2"


def test_mirror_pods_are_posted_recreated_after_a_delete_and_carry_the_component_log(tmp_path, monkeypatch):
    monkeypatch.setattr(static_pods, "LOG_ROOT", tmp_path)
    config = ClusterConfig(name="kn", data_dir=str(tmp_path / "data"))

    async def story():
        async with Cluster(namespaces=("default", "kube-system")) as c:
            node = await add_node(c.client, NODE)
            mirrors = StaticPods(NODE, NODE_IP, control_plane_pods.static_pods(config, NODE))
            mirrors.capture_logs()
            logging.getLogger("kubenet.scheduler.scheduler").warning("no nodes available to schedule pods")
            pods = Informer(c.client, "pods", field_selector=f"spec.nodeName={NODE}")  # the kubelet's view
            pods.add_handlers(mirrors.mirror_changed, lambda old, new: mirrors.mirror_changed(new),
                              mirrors.mirror_changed)
            task = asyncio.create_task(pods.run())
            mirrors.start(c.client)
            try:
                async def all_running():
                    items = [p for p in await c.list("pods", "kube-system") if is_mirror_pod(p)]
                    running = [p for p in items if (p.get("status") or {}).get("phase") == "Running"]
                    return running if len(running) == 3 else None
                running = {p["metadata"]["name"]: p for p in await c.until(all_running)}
                assert sorted(running) == [f"kube-apiserver-{NODE}", f"kube-controller-manager-{NODE}",
                                           f"kube-scheduler-{NODE}"]
                api = running[f"kube-apiserver-{NODE}"]
                meta, spec, status = api["metadata"], api["spec"], api["status"]
                assert meta["annotations"]["kubernetes.io/config.source"] == "file"
                assert meta["annotations"][MIRROR_ANNOTATION] == meta["annotations"]["kubernetes.io/config.hash"]
                assert meta["ownerReferences"] == [{"apiVersion": "v1", "kind": "Node", "name": NODE,
                                                    "uid": node["metadata"]["uid"], "controller": True}]
                assert meta["labels"] == {"component": "kube-apiserver", "tier": "control-plane"}
                assert spec["hostNetwork"] and spec["priorityClassName"] == "system-node-critical"
                assert spec["nodeName"] == NODE
                assert "serviceAccountName" not in spec  # ServiceAccount admission skips mirror Pods
                assert status["podIP"] == NODE_IP and status["containerStatuses"][0]["ready"]
                assert {c["type"]: c["status"] for c in status["conditions"]}["Ready"] == "True"

                old_uid = meta["uid"]
                await c.client.delete("pods", meta["name"], "kube-system")  # graceful: the kubelet finishes it

                async def recreated():
                    p = await c.client.get("pods", meta["name"], "kube-system")
                    return p["metadata"]["uid"] != old_uid and not p["metadata"].get("deletionTimestamp") and \
                        (p.get("status") or {}).get("phase") == "Running"
                await c.until(recreated)

                scheduler = next(p for p in mirrors.pods.values() if p.name.startswith("kube-scheduler"))
                chunks = [chunk async for chunk in mirrors.logs(running[scheduler.name], "kube-scheduler",
                                                                False, False, None, False, None)]
                text = b"".join(chunks).decode()
                # klog's header: level, mmdd hh:mm:ss.uuuuuu, pid, file:line]
                assert re.fullmatch(r"W\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ test_kubelet_static_pods\.py:\d+\] "
                                    r"no nodes available to schedule pods\n", text), text
                raw = scheduler.log_path.read_text()
                assert raw.split(" ")[1:3] == ["stderr", "F"]  # CRI records, as containerd writes them
            finally:
                task.cancel()
                await mirrors.stop()
    run(story)
