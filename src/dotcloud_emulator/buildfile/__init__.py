"""dotcloud.yml: loading, validation, and the frozen model the later stages read."""
