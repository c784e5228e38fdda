"""The Ingress controller and its HTTP(S) proxy (docs/architecture.md). Not built yet: it is its own issue."""
