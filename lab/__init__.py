"""Lab scenarios behind `kubenet lab` (ARCHITECTURE.md). Not built yet: they are their own issue."""
