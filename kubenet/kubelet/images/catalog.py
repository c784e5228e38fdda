"""The image catalog: what a well-known image runs here, as ENTRYPOINT + CMD like an OCI image config.

A Pod's `command` replaces the entrypoint and `args` replace the cmd (the Kubernetes rule). Programs an image
would carry (`/agnhost`, `httpd-foreground`, `nginx`, and the add-ons' own, e.g. `/coredns`) map to our own
implementations; anything else is a host program run inside the Pod's namespaces.
"""
from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field

from kubenet.addons import ADDONS

PY = sys.executable


@dataclass(frozen=True)
class Image:
    repository: str
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    default_tag: str = "latest"
    env: dict = field(default_factory=dict)


def _web(flavour: str, *flags: str) -> tuple[str, ...]:
    return (PY, "-m", "kubenet.kubelet.images.web", flavour, *flags)


def _hello_app_version(tag: str) -> str:
    """hello-app prints its version: tag 1.0 → 1.0.0, 2.0 → 2.0.0 (the canary tutorials rely on it)."""
    parts = tag.split(".")
    if not tag or not all(p.isdigit() for p in parts):
        return "1.0.0"
    return ".".join((parts + ["0", "0"])[:3])


_SLEEP = ("sleep", "infinity")
CATALOG: dict[str, Image] = {i.repository: i for i in [
    Image("httpd", cmd=("httpd-foreground",), default_tag="2.4"),
    Image("nginx", entrypoint=("/docker-entrypoint.sh",), cmd=("nginx", "-g", "daemon off;"), default_tag="1.27"),
    Image("traefik/whoami", entrypoint=("/whoami",), default_tag="v1.10"),
    Image("hashicorp/http-echo", entrypoint=("/http-echo",), default_tag="1.0"),
    Image("registry.k8s.io/echoserver", entrypoint=("/usr/local/bin/run.sh",), default_tag="1.10"),
    Image("registry.k8s.io/e2e-test-images/echoserver", entrypoint=("/usr/local/bin/run.sh",), default_tag="2.5"),
    Image("gcr.io/google-samples/hello-app", entrypoint=("/hello-app",), default_tag="1.0"),
    Image("us-docker.pkg.dev/google-samples/containers/gke/hello-app", entrypoint=("/hello-app",),
          default_tag="1.0"),
    Image("busybox", cmd=_SLEEP, default_tag="1.36"),
    Image("registry.k8s.io/e2e-test-images/busybox", cmd=_SLEEP, default_tag="1.36.1-1"),
    Image("alpine", cmd=_SLEEP, default_tag="3.20"),
    Image("ubuntu", cmd=_SLEEP),
    Image("debian", cmd=_SLEEP),
    Image("curlimages/curl", entrypoint=("/entrypoint.sh",), cmd=("curl",)),
    Image("nicolaka/netshoot", cmd=_SLEEP),
    Image("registry.k8s.io/e2e-test-images/agnhost", entrypoint=("/agnhost",), cmd=("pause",), default_tag="2.52"),
    Image("registry.k8s.io/pause", cmd=("/pause",), default_tag="3.10"),
    # Add-ons declare their own images (kubenet/addons).
    *(Image(i.repository, entrypoint=i.entrypoint, default_tag=i.default_tag) for a in ADDONS for i in a.images),
]}

# What image binaries are here. Each maps (argv with the binary first, the image tag) to the argv we run; the
# image's own flags go to our implementation, which parses them like the real program does.
_PROGRAMS = {
    "httpd-foreground": lambda argv, tag: _web("httpd"),
    "httpd": lambda argv, tag: _web("httpd"),
    "nginx": lambda argv, tag: _web("nginx"),
    "/docker-entrypoint.sh": lambda argv, tag: _translate(argv[1:], tag) if len(argv) > 1 else _web("nginx"),
    "/whoami": lambda argv, tag: _web("whoami", *argv[1:]),
    "/http-echo": lambda argv, tag: _web("http-echo", *argv[1:]),
    "/usr/local/bin/run.sh": lambda argv, tag: _web("echoserver"),
    "/hello-app": lambda argv, tag: _web("hello-app", "--version", _hello_app_version(tag)),
    "/agnhost": lambda argv, tag: (PY, "-m", "kubenet.kubelet.images.agnhost", *argv[1:]),
    "/agnhost-2": lambda argv, tag: (PY, "-m", "kubenet.kubelet.images.agnhost", *argv[1:]),
    "/pause": lambda argv, tag: _SLEEP,
    "/entrypoint.sh": lambda argv, tag: tuple(argv[1:]) if len(argv) > 1 else _SLEEP,
    **{binary: program for a in ADDONS for i in a.images for binary, program in i.programs.items()},
}


# Our programs that bind their ports through go_http.make_server and so report when they are up (started.py).
_REPORTING = {"kubenet.kubelet.images.web": None,
              "kubenet.kubelet.images.agnhost": {"netexec", "serve-hostname", "liveness"}}


def reports_start(argv: list[str] | tuple[str, ...]) -> bool:
    """Whether the container's program tells the kubelet when it is up (see kubenet/kubelet/images/started.py)."""
    if len(argv) < 3 or argv[0] != PY or argv[1] != "-m" or argv[2] not in _REPORTING:
        return False
    subcommands = _REPORTING[argv[2]]
    return subcommands is None or (len(argv) > 3 and argv[3] in subcommands)


def program_env(argv: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Extra environment for a container's program. Our own programs (PY -m ...) get the kubelet's PYTHONPATH
    when it has one (kubenet run from a source tree): they must be the same code as the kubelet that runs
    them, not whatever the interpreter would import by default. Nothing otherwise: a learner's Pod shows no
    trace of it."""
    path = os.environ.get("PYTHONPATH")
    ours = (len(argv) > 1 and argv[0] == PY and argv[1] == "-m") or (
        len(argv) > 2 and argv[0] == "sh" and argv[1] == "-c" and argv[2].startswith(f"exec {PY} -m "))
    return {"PYTHONPATH": path} if path and ours else {}


class ImageNotFound(Exception):
    pass


def split_image(image: str) -> tuple[str, str]:
    """'docker.io/library/nginx:1.27' → ('nginx', '1.27'); digests are kept as the tag."""
    name, tag = image, ""
    if "@" in name:
        name, tag = name.split("@", 1)
    elif ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    if name.startswith("k8s.gcr.io/"):
        name = "registry.k8s.io/" + name[len("k8s.gcr.io/"):]
    return name, tag


def lookup(image: str) -> Image | None:
    name, _ = split_image(image)
    return CATALOG.get(name)


def image_ref(image: str) -> str:
    """The imageID a containerStatus shows (a stable pseudo digest of the reference)."""
    import hashlib
    name, tag = split_image(image)
    full = name if "/" in name and "." in name.split("/")[0] else f"docker.io/library/{name}" if "/" not in name \
        else f"docker.io/{name}"
    return f"{full}@sha256:{hashlib.sha256(f'{name}:{tag}'.encode()).hexdigest()}"


def _translate(argv: list[str] | tuple[str, ...], tag: str = "") -> tuple[str, ...]:
    program = _PROGRAMS.get(argv[0]) or _PROGRAMS.get(argv[0].rsplit("/", 1)[-1] if argv[0].startswith("/usr")
                                                   else "")
    if program is not None:
        return tuple(program(list(argv), tag))
    return tuple(argv)


def container_argv(container: dict) -> list[str]:
    """The argv a container runs: image entrypoint/cmd overridden by command/args; raises ImageNotFound."""
    image = lookup(container.get("image", ""))
    command, args = container.get("command"), container.get("args")
    if image is None and not command:
        raise ImageNotFound(container.get("image", ""))
    entry = list(command) if command else list(image.entrypoint if image else ())
    if args is not None:
        rest = list(args)
    elif command:
        rest = []
    else:
        rest = list(image.cmd)
    argv = entry + rest
    if not argv:
        raise ImageNotFound(container.get("image", ""))
    argv = list(_translate(argv, split_image(container.get("image", ""))[1] or (image.default_tag if image else "")))
    if not argv[0].startswith("/") and shutil.which(argv[0]) is None:
        raise FileNotFoundError(argv[0])
    return argv
