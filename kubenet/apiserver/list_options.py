"""ListOptions checks a list or watch gets before anything runs, as ValidateListOptions does
(apiserver pkg/apis/meta/internalversion/validation): a 422 for ListOptions.meta.k8s.io.

This server does not serve WatchList (sendInitialEvents streams), so it answers as a 1.32 API server with the
WatchList feature gate off: a watch that asks for initial events is refused with that gate's message. `limit` on a
watch is allowed and ignored; `continue` on a watch is refused only together with resourceVersionMatch.
"""
from __future__ import annotations

from multidict import MultiMapping

from kubenet.api import errors, validation
from kubenet.api.kinds import Kind
from kubenet.api.validation_field import FieldError, forbidden, not_supported

LIST_OPTIONS = Kind("meta.k8s.io", "v1", "ListOptions", "listoptions", verbs=())
_MATCH = "resourceVersionMatch"


def check_list_options(query: MultiMapping[str], watch: bool) -> None:
    errs = _watch_errors(query) if watch else _list_errors(query)
    if errs:
        raise errors.APIError.from_status(validation.invalid_status(LIST_OPTIONS, "", errs))


def _watch_errors(q: MultiMapping[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    match = q.get(_MATCH, "")
    if "sendInitialEvents" in q:
        if match != "NotOlderThan":
            errs.append(forbidden(_MATCH, "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"))
        errs.append(forbidden("sendInitialEvents",
                              "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled"))
    if match:
        if "sendInitialEvents" not in q:
            errs.append(forbidden(_MATCH, "resourceVersionMatch is forbidden for watch unless sendInitialEvents is "
                                          "provided"))
        if match != "NotOlderThan":
            errs.append(not_supported(_MATCH, match, ["NotOlderThan"]))
        if q.get("continue"):
            errs.append(forbidden(_MATCH, "resourceVersionMatch is forbidden when continue is provided"))
    return errs


def _list_errors(q: MultiMapping[str]) -> list[FieldError]:
    errs: list[FieldError] = []
    match = q.get(_MATCH, "")
    if match:
        if not q.get("resourceVersion"):
            errs.append(forbidden(_MATCH, "resourceVersionMatch is forbidden unless resourceVersion is provided"))
        if q.get("continue"):
            errs.append(forbidden(_MATCH, "resourceVersionMatch is forbidden when continue is provided"))
        if match not in ("Exact", "NotOlderThan"):
            errs.append(not_supported(_MATCH, match, ["Exact", "NotOlderThan", ""]))
        if match == "Exact" and q.get("resourceVersion") == "0":
            errs.append(forbidden(_MATCH, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"'))
    if "sendInitialEvents" in q:
        errs.append(forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"))
    return errs
