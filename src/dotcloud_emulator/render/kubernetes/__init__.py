"""The Kubernetes export: a kustomize base rendered as `File` objects (see `export.py`)."""

from dotcloud_emulator.render.kubernetes.export import KubernetesOptions, render_kubernetes

__all__ = ["KubernetesOptions", "render_kubernetes"]
