"""Run a dotCloud application on one machine, in Docker, the way the platform ran it."""

__version__ = "0.1.0"
