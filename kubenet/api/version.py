"""The Kubernetes version kubenet's components report (API server /version, the kubelet's Node status, images)."""
from __future__ import annotations

GIT_VERSION = "v1.32.4"  # kubectl's dispatcher picks the kubectl matching the server's minor version
