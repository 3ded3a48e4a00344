"""The platform's contract: naming, settings, per-application state and the DOTCLOUD_* environment."""
