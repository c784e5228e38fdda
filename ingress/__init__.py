"""The Ingress controller and its HTTP(S) proxy (ARCHITECTURE.md). Not built yet: it is its own issue."""
