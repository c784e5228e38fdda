"""The client contract every component codes against; LocalClient and HTTPClient implement it."""
from __future__ import annotations

from collections.abc import AsyncIterator

from kubenet.api import kinds
from kubenet.api.errors import APIError
from kubenet.api.kinds import Kind


def resolve(resource: str) -> Kind:
    """'pods' → core/v1 Pod; 'deployments.apps' → apps/v1 Deployment; 'events.events.k8s.io' likewise."""
    plural, _, group = resource.partition(".")
    kind = kinds.by_resource(group, plural)
    if kind is None:
        raise APIError(404, "NotFound", "the server could not find the requested resource", {})
    return kind


def object_key(obj: dict) -> str:
    """The informer key: `namespace/name`, or `name` for cluster-scoped objects."""
    meta = obj["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]


def split_key(key: str) -> tuple[str | None, str]:
    ns, _, name = key.rpartition("/")
    return (ns or None), name


def delete_options(propagation_policy: str | None = None, grace_period_seconds: int | None = None,
                   preconditions: dict | None = None) -> dict:
    """The DeleteOptions fields a delete call sets (only those given), for either client to send."""
    options: dict = {}
    if propagation_policy:
        options["propagationPolicy"] = propagation_policy
    if grace_period_seconds is not None:
        options["gracePeriodSeconds"] = grace_period_seconds
    if preconditions:
        options["preconditions"] = preconditions
    return options


class Client:
    async def get(self, resource: str, name: str, namespace: str | None = None,
                  subresource: str | None = None) -> dict:
        raise NotImplementedError

    async def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
                   field_selector: str | None = None) -> tuple[list[dict], str]:
        raise NotImplementedError

    async def create(self, resource: str, obj: dict, namespace: str | None = None,
                     subresource: str | None = None, name: str | None = None) -> dict:
        raise NotImplementedError

    async def update(self, resource: str, obj: dict, namespace: str | None = None,
                     subresource: str | None = None) -> dict:
        raise NotImplementedError

    async def patch(self, resource: str, name: str, patch, namespace: str | None = None,
                    patch_type: str = "merge", subresource: str | None = None) -> dict:
        raise NotImplementedError

    async def delete(self, resource: str, name: str, namespace: str | None = None,
                     propagation_policy: str | None = None, grace_period_seconds: int | None = None,
                     preconditions: dict | None = None) -> dict:
        raise NotImplementedError

    def watch(self, resource: str, namespace: str | None = None, resource_version: str = "0",
              label_selector: str | None = None, field_selector: str | None = None,
              timeout_seconds: int | None = None) -> AsyncIterator[tuple[str, dict]]:
        raise NotImplementedError

    async def close(self) -> None:
        pass
