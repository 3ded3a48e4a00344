"""`export kubernetes`: the application as manifests for another engine, with its state's
secrets, scale and domains."""

from __future__ import annotations

import re
from pathlib import Path

from dotcloud_emulator import names
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.errors import UsageError
from dotcloud_emulator.export import WrittenExport, check_export_output, write_kubernetes
from dotcloud_emulator.platform.settings import Settings
from dotcloud_emulator.platform.state import StateStore
from dotcloud_emulator.render.kubernetes import KubernetesOptions

# HOST[:PORT]/PREFIX as image references spell it: lowercase path components.
REGISTRY = names.NameRule(
    "registry",
    re.compile(
        r"[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]{1,5})?"  # host[:port]
        r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"  # /path/components
    ),
    "use HOST[:PORT] or HOST[:PORT]/PREFIX, lowercase (registry.example.com:5000/team)",
)


def check_domain(domain: str) -> str:
    """A domain the Ingress can route under: DNS labels, lowercase (`localhost` included)."""
    labels = domain.split(".")
    if len(domain) > names.MAX_HOST_LENGTH or not all(
        names.HOST_LABEL.is_valid(label) for label in labels
    ):
        raise UsageError(
            f"invalid domain {names.printable(domain)}: use lowercase DNS labels "
            "(letters, digits, hyphens) separated by dots"
        )
    return domain


def export_kubernetes(
    application: Application, outdir: Path, domain: str | None, registry: str | None
) -> WrittenExport:
    """Write the kustomize base of `application` into `outdir` (see `render/kubernetes`)."""
    settings = Settings.from_env()
    options = KubernetesOptions(
        domain=check_domain(domain or settings.domain),
        registry=REGISTRY.check(registry) if registry else None,
    )
    check_export_output(application, outdir)  # before the state is written, too
    state = StateStore(settings.state_home).prepare(application)
    return write_kubernetes(application, state, settings, outdir, options)
