"""What a container runs for a Pod spec: the image's ENTRYPOINT + CMD, `command` replacing the entrypoint and
`args` replacing the cmd, and image binaries mapped to kubenet's own implementations."""
from __future__ import annotations

import sys

import pytest

from kubenet.kubelet.images.catalog import ImageNotFound, container_argv

PY = sys.executable
AGNHOST = [PY, "-m", "kubenet.kubelet.images.agnhost"]
WEB = [PY, "-m", "kubenet.kubelet.images.web"]


def argv(image: str, command: list[str] | None = None, args: list[str] | None = None) -> list[str]:
    container = {"name": "c", "image": image}
    if command is not None:
        container["command"] = command
    if args is not None:
        container["args"] = args
    return container_argv(container)


@pytest.mark.parametrize("image", ["nginx", "nginx:alpine", "nginx:1.25-bookworm", "docker.io/library/nginx:1.27",
                                   "nginx@sha256:0123abcd"])
def test_nginx_with_any_tag_runs_our_nginx(image):
    assert argv(image) == WEB + ["nginx"]


def test_agnhost_default_cmd_is_pause():
    assert argv("registry.k8s.io/e2e-test-images/agnhost:2.52") == AGNHOST + ["pause"]


def test_agnhost_args_replace_the_cmd_and_keep_the_entrypoint():
    assert argv("registry.k8s.io/e2e-test-images/agnhost:2.52", args=["netexec", "--http-port=8080"]) == \
        AGNHOST + ["netexec", "--http-port=8080"]


def test_command_replaces_the_entrypoint_and_drops_the_cmd():
    image = "registry.k8s.io/e2e-test-images/agnhost:2.52"
    assert argv(image, command=["/agnhost", "serve-hostname"]) == AGNHOST + ["serve-hostname"]
    assert argv(image, command=["/agnhost"], args=["porter"]) == AGNHOST + ["porter"]
    assert argv(image, command=["sh", "-c", "echo hi"]) == ["sh", "-c", "echo hi"]
    assert argv("k8s.gcr.io/e2e-test-images/agnhost:2.40", command=["/agnhost-2", "pause"]) == AGNHOST + ["pause"]


def test_whoami_flags_go_to_our_whoami():
    assert argv("traefik/whoami") == WEB + ["whoami"]
    assert argv("traefik/whoami:v1.10", args=["--port", "8080", "--name", "x"]) == \
        WEB + ["whoami", "--port", "8080", "--name", "x"]


def test_http_echo_text_and_listen_flags():
    assert argv("hashicorp/http-echo", args=["-text=hello", "-listen=:8080"]) == \
        WEB + ["http-echo", "-text=hello", "-listen=:8080"]
    assert argv("hashicorp/http-echo:1.0") == WEB + ["http-echo"]


@pytest.mark.parametrize("image,version", [
    ("gcr.io/google-samples/hello-app:1.0", "1.0.0"),
    ("gcr.io/google-samples/hello-app:2.0", "2.0.0"),
    ("us-docker.pkg.dev/google-samples/containers/gke/hello-app:1.0", "1.0.0"),
    ("us-docker.pkg.dev/google-samples/containers/gke/hello-app", "1.0.0"),
])
def test_hello_app_version_follows_the_tag(image, version):
    assert argv(image) == WEB + ["hello-app", "--version", version]


@pytest.mark.parametrize("image", ["registry.k8s.io/echoserver:1.10", "k8s.gcr.io/echoserver:1.10",
                                   "registry.k8s.io/e2e-test-images/echoserver:2.5"])
def test_echoserver(image):
    assert argv(image) == WEB + ["echoserver"]


def test_busybox_images_sleep_unless_given_a_command():
    assert argv("registry.k8s.io/e2e-test-images/busybox:1.36.1-1") == ["sleep", "infinity"]
    assert argv("busybox:1.36", command=["sh", "-c", "sleep 3600"]) == ["sh", "-c", "sleep 3600"]
    assert argv("busybox", args=["sleep", "10"]) == ["sleep", "10"]


def test_httpd_and_nginx_commands_map_to_our_servers():
    assert argv("httpd:2.4") == WEB + ["httpd"]
    assert argv("nginx", args=["nginx", "-g", "daemon off;"]) == WEB + ["nginx"]
    assert argv("nginx", command=["nginx", "-g", "daemon off;"]) == WEB + ["nginx"]


def test_unknown_image_needs_a_command():
    with pytest.raises(ImageNotFound):
        argv("example.com/unknown/image:1")
    assert argv("example.com/unknown/image:1", command=["sleep", "1"]) == ["sleep", "1"]
    with pytest.raises(FileNotFoundError):
        argv("busybox", command=["no-such-program-kubenet"])
