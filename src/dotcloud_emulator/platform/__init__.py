"""The platform's contract: naming, settings, application state, the DOTCLOUD_* environment."""
