"""A MongoDB-protocol server for the `mongodb` service type (Debian packages no MongoDB).

It runs in the service's container, not in the emulator: the renderer copies this package into
the build context, and it needs only Python 3 and the `bson` module (Debian's python3-bson).
What of MongoDB it does and does not do: docs/mongodb.md.
"""
