# Set-up is idempotent: each target installs what is missing, then does its job.
PY ?= python3
APT_PACKAGES = iptables nftables iproute2 kmod dnsutils curl conntrack tcpdump procps util-linux containernetworking-plugins
export PATH := /usr/local/bin:$(PATH)
# Debian's system Python refuses root-wide pip installs (PEP 668); kubenet is a root tool, so allow it.
export PIP_BREAK_SYSTEM_PACKAGES := 1

.PHONY: deps up down test test-unit bench lint

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	@$(PY) -c "import kubenet, aiohttp, dnslib, uvloop, yaml, cryptography, kubernetes, pytest" 2>/dev/null || $(PY) -m pip install -q -e '.[test]'
	@command -v kubenet >/dev/null || $(PY) -m pip install -q -e '.[test]'

up: deps
	@kubenet status >/dev/null 2>&1 || kubenet up
	kubenet status
	kubectl --context kubenet-kubenet get nodes -o wide
	kubectl --context kubenet-kubenet apply -f examples/apa000dep.yaml -f examples/apa000ser.yaml
	kubectl --context kubenet-kubenet rollout status deployment/apa000dep --timeout=60s
	curl -s --retry 5 --retry-connrefused --retry-delay 1 http://localhost:30080

down:
	kubenet down

test: deps
	$(PY) -m pytest -q -p no:cacheprovider tests

test-unit: deps
	$(PY) -m pytest -q -p no:cacheprovider tests/unit

bench: deps
	for b in bench/*.py; do $(PY) $$b; done

lint:
	ruff check kubenet cni coredns_py ingress lab tests bench bin
