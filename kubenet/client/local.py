"""In-process client: calls the registry directly (same semantics as HTTPS, none of the cost)."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator

from kubenet.api.errors import APIError
from kubenet.apiserver.registry import Registry
from kubenet.client.base import Client, delete_options, resolve

PATCH_TYPES = {"merge": "application/merge-patch+json", "json": "application/json-patch+json",
               "strategic": "application/strategic-merge-patch+json"}


class LocalClient(Client):
    def __init__(self, registry: Registry, field_manager: str = "kubenet", token_issuer=None):
        self.registry = registry
        self.field_manager = field_manager
        self.token_issuer = token_issuer  # the API server's TokenIssuer: serviceaccounts/<name>/token

    async def get(self, resource, name, namespace=None, subresource=None):
        return self.registry.get(resolve(resource), namespace, name)

    async def list(self, resource, namespace=None, label_selector=None, field_selector=None):
        out = self.registry.list(resolve(resource), namespace, label_selector, field_selector)
        return out["items"], out["metadata"]["resourceVersion"]

    async def create(self, resource, obj, namespace=None, subresource=None, name=None):
        kind = resolve(resource)
        namespace = namespace or obj.get("metadata", {}).get("namespace")
        if subresource == "binding":
            from kubenet.apiserver.subresources import bind_pod
            return bind_pod(self.registry, namespace, name or obj["metadata"]["name"], obj)
        if subresource == "token" and kind.plural == "serviceaccounts" and self.token_issuer is not None:
            return self.token_issuer.create(self.registry, namespace, name, obj)
        if subresource:
            raise APIError(405, "MethodNotAllowed", f"create of {subresource} is not supported")
        return self.registry.create(kind, namespace, obj)

    async def update(self, resource, obj, namespace=None, subresource=None):
        namespace = namespace or obj["metadata"].get("namespace")
        return self.registry.update(resolve(resource), namespace, obj["metadata"]["name"], obj, subresource)

    async def patch(self, resource, name, patch, namespace=None, patch_type="merge", subresource=None):
        from kubenet.apiserver.subresources import patch_object
        body = patch if isinstance(patch, (bytes, str)) else json.dumps(patch)
        patched, _ = patch_object(self.registry, resolve(resource), namespace, name, body, PATCH_TYPES[patch_type],
                                  subresource=subresource, field_manager=self.field_manager, decode_types=False)
        return patched

    async def delete(self, resource, name, namespace=None, propagation_policy=None, grace_period_seconds=None,
                     preconditions=None):
        options = delete_options(propagation_policy, grace_period_seconds, preconditions)
        return self.registry.delete(resolve(resource), namespace, name, options)

    async def watch(self, resource, namespace=None, resource_version="0", label_selector=None, field_selector=None,
                    timeout_seconds=None) -> AsyncIterator[tuple[str, dict]]:
        w = self.registry.watch(resolve(resource), namespace, label_selector, field_selector, resource_version)
        try:
            while True:
                item = await w.next(timeout_seconds)
                if item is None:
                    return
                yield item
        finally:
            w.close()
