"""API errors as Kubernetes `Status` objects (apimachinery pkg/api/errors), raised inside, rendered at the edge;
the one home every layer (store, apiserver, client, components) imports them from."""
from __future__ import annotations

from kubenet.api.kinds import Kind


class APIError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> dict:
        out = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
               "message": self.message, "reason": self.reason, "code": self.code}
        if self.details is not None:
            out["details"] = self.details
        if not self.reason:
            del out["reason"]
        return out

    @classmethod
    def from_status(cls, status: dict) -> APIError:
        return cls(int(status.get("code") or 500), status.get("reason", ""), status.get("message", ""),
                   status.get("details"))


class StreamError(Exception):
    """A node agent's user-facing error on logs/exec/attach/port-forward (the API server answers it as a 400
    BadRequest, as the real one relays the kubelet's refusal)."""


def _qualified(kind: Kind) -> str:
    # The real messages name the resource as plural[.group]: `deployments.apps "web" not found`.
    return str(kind)


def _details(kind: Kind, name: str) -> dict:
    d = {"name": name, "kind": kind.plural}
    if kind.group:
        d["group"] = kind.group
    return d


def not_found(kind: Kind, name: str) -> APIError:
    return APIError(404, "NotFound", f'{_qualified(kind)} "{name}" not found', _details(kind, name))


def already_exists(kind: Kind, name: str) -> APIError:
    return APIError(409, "AlreadyExists", f'{_qualified(kind)} "{name}" already exists', _details(kind, name))


def conflict(kind: Kind, name: str, why: str = "the object has been modified; please apply your changes to the "
             "latest version and try again") -> APIError:
    return APIError(409, "Conflict", f'Operation cannot be fulfilled on {_qualified(kind)} "{name}": {why}',
                    _details(kind, name))


def bad_request(message: str) -> APIError:
    return APIError(400, "BadRequest", message)


def gone(message: str) -> APIError:
    return APIError(410, "Expired", message)


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> APIError:
    return APIError(405, "MethodNotAllowed", message, {})


def resource_not_found() -> APIError:
    # What kubectl prints for an unknown resource type or URL.
    return APIError(404, "NotFound", "the server could not find the requested resource", {})


def forbidden_namespace_terminating(kind: Kind, name: str, namespace: str) -> APIError:
    return APIError(403, "Forbidden",
                    f'{_qualified(kind)} "{name}" is forbidden: unable to create new content in namespace '
                    f"{namespace} because it is being terminated",
                    {"name": name, "kind": kind.plural, "causes": [{
                        "reason": "NamespaceTerminating",
                        "message": f"namespace {namespace} is being terminated",
                        "field": "metadata.namespace"}]})


def namespace_not_found(namespace: str) -> APIError:
    return APIError(404, "NotFound", f'namespaces "{namespace}" not found', {"name": namespace, "kind": "namespaces"})


def too_large() -> APIError:
    return APIError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728")


def not_acceptable(accepted: list[str]) -> APIError:
    """negotiation.NewNotAcceptableError: no media type in Accept is one the endpoint can write."""
    return APIError(406, "NotAcceptable", f"only the following media types are accepted: {', '.join(accepted)}")


def internal(message: str) -> APIError:
    return APIError(500, "InternalError", f"Internal error occurred: {message}", {"causes": [{"message": message}]})
