"""kubenet: a Kubernetes networking emulator."""
