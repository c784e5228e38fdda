"""Lab scenarios behind `kubenet lab` (docs/architecture.md). Not built yet: they are their own issue."""
