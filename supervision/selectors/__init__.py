"""Every scoped read of the supervision app, split like ``supervision.services``."""
