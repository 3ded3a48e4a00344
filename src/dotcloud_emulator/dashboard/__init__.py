"""The dashboard: a small web page on 127.0.0.1 showing this machine's applications.

It is built on the application API like the CLI (`backend.py` is the one module that calls it);
the rest is pure (`security`, `masking`, `shaping`, `views`) or the HTTP server around it
(`server`).
"""
