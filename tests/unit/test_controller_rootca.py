"""root-ca-cert-publisher: `kube-root-ca.crt` in every namespace, kept as the cluster CA."""
from __future__ import annotations

from kubenet.controllers.rootcacertpublisher import CONFIGMAP_NAME, DESCRIPTION_ANNOTATION, RootCACertPublisher
from tests.unit.controller_harness import Cluster, run

PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"


def test_every_namespace_gets_the_ca_and_it_is_recreated_and_repaired():
    async def story():
        async with Cluster((RootCACertPublisher, {"root_ca": PEM}), namespaces=("default", "kube-system")) as c:
            async def published(ns: str):
                cm = await c.client.get("configmaps", CONFIGMAP_NAME, ns)
                return cm if cm.get("data") == {"ca.crt": PEM} else None
            cm = await c.until(lambda: published("default"))
            assert cm["metadata"]["annotations"][DESCRIPTION_ANNOTATION].startswith("Contains a CA bundle")
            await c.until(lambda: published("kube-system"))

            await c.client.create("namespaces", {"metadata": {"name": "fresh"}})
            await c.until(lambda: published("fresh"))

            await c.client.delete("configmaps", CONFIGMAP_NAME, "fresh")
            await c.until(lambda: published("fresh"))

            edited = await c.client.get("configmaps", CONFIGMAP_NAME, "default")
            edited["data"] = {"ca.crt": "tampered", "extra": "x"}
            edited["metadata"]["annotations"] = {}
            await c.client.update("configmaps", edited, "default")

            async def repaired():
                got = await published("default")
                return got and got["metadata"]["annotations"].get(DESCRIPTION_ANNOTATION)
            await c.until(repaired)
    run(story)
