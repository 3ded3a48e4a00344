"""`export kubernetes APPDIR_OR_APP -o DIR`: the application as a kustomize base;
`export procfile APPDIR -o DIR`: a dotCloud application as a Heroku-style tree."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dotcloud_emulator import names
from dotcloud_emulator.api.connect import require_application
from dotcloud_emulator.api.export import export_kubernetes
from dotcloud_emulator.buildfile.loader import has_buildfile
from dotcloud_emulator.buildfile.model import Application
from dotcloud_emulator.cli.commands.common import (
    Subparsers,
    add_json_flag,
    load_buildfile,
    print_json,
)
from dotcloud_emulator.errors import EXIT_OK, UsageError
from dotcloud_emulator.export import WrittenExport, write_procfile_export


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the application for another engine (Kubernetes, a Procfile platform)",
        description="Write the application as manifests for another engine.",
    )
    engines = parser.add_subparsers(dest="engine", metavar="ENGINE", required=True)
    kubernetes = engines.add_parser(
        "kubernetes",
        help="a kustomize base: `kubectl apply -k DIR`",
        description="Write DIR/kustomization.yaml and the manifests of every service (a "
        "StatefulSet and a headless Service each, an Ingress for the HTTP services), with the "
        "application's scale and domains, and each instance's environment under DIR/secrets/, "
        "which DIR/.gitignore keeps out of a repository. Nothing is built, pushed or applied.",
    )
    kubernetes.add_argument(
        "target",
        metavar="APPDIR_OR_APP",
        nargs="?",
        default=".",
        help="a directory holding dotcloud.yml, or the name of a deployed application "
        "(default: the current directory)",
    )
    kubernetes.add_argument(
        "-A", "--application", metavar="NAME", help="the application's name, with APPDIR"
    )
    kubernetes.add_argument(
        "-o", "--output", metavar="DIR", type=Path, required=True, help="where to write the base"
    )
    kubernetes.add_argument(
        "--registry",
        metavar="HOST[:PORT]/PREFIX",
        help="the registry the cluster pulls the images from: REGISTRY/dotcloud-APP/SVC:latest "
        "(default: the local names, dotcloud-APP/SVC:latest)",
    )
    kubernetes.add_argument(
        "--domain",
        metavar="DOMAIN",
        help="route HTTP services as SVC.APP.DOMAIN (default: localhost)",
    )
    add_json_flag(kubernetes)
    kubernetes.set_defaults(handler=run_export_kubernetes)
    procfile = engines.add_parser(
        "procfile",
        help="a Heroku-style tree (Procfile, requirements.txt, app.json) that runs with `up`",
        description="Write into DIR (new or empty, outside APPDIR) a copy of each python and "
        "python-worker service's code, a Procfile (uWSGI serving the python service's wsgi.py "
        "on $PORT as `web`, each worker program a process type), requirements.txt, "
        "runtime.txt, app.json (an add-on per data service: redis, postgresql, mongodb) and "
        "dotcloud_environment.py, which writes the platform's ~/environment.json from the "
        "add-ons' URLs so the code runs unchanged. Other code service types are refused; "
        "DIR/DOTCLOUD-EXPORT.md lists what is not carried over.",
    )
    procfile.add_argument(
        "appdir",
        metavar="APPDIR",
        nargs="?",
        default=".",
        type=Path,
        help="a directory holding dotcloud.yml (default: the current directory)",
    )
    procfile.add_argument(
        "-A", "--application", metavar="NAME", help="the application's name (DOTCLOUD_PROJECT)"
    )
    procfile.add_argument(
        "-o", "--output", metavar="DIR", type=Path, required=True, help="where to write the tree"
    )
    add_json_flag(procfile)
    procfile.set_defaults(handler=run_export_procfile)


def application_of(target: str, explicit_name: str | None) -> Application:
    """The build file in the directory `target`, or the one of the application named `target`."""
    directory = Path(target)
    is_buildfile_dir = has_buildfile(directory) or explicit_name is not None
    if not is_buildfile_dir and names.APPLICATION.is_valid(target):
        return require_application(target)
    return load_buildfile(directory, explicit_name)  # a missing build file is named there


def run_export_kubernetes(args: argparse.Namespace) -> int:
    application = application_of(args.target, args.application)
    written = export_kubernetes(application, args.output, args.domain, args.registry)
    if args.json:
        print_json(describe(written))
        return EXIT_OK
    print(
        f"wrote {written.directory}: {len(written.manifests)} files to commit, and each "
        f"instance's environment in {written.directory / 'secrets'} (kept out by .gitignore)"
    )
    print(f"apply with: kubectl apply -k {written.directory}")
    return EXIT_OK


def run_export_procfile(args: argparse.Namespace) -> int:
    application = load_buildfile(args.appdir, args.application)
    if application.is_procfile:
        raise UsageError(f"{application.buildfile}: already a Procfile application")
    written = write_procfile_export(application, args.output)
    if args.json:
        print_json(
            {
                "directory": str(written.directory),
                "files": [path.as_posix() for path in written.files],
                "folders": [path.as_posix() for path in written.folders],
                "notes": list(written.notes),
            }
        )
        return EXIT_OK
    folders = ", ".join(f"{path.as_posix()}/" for path in written.folders)
    print(
        f"wrote {written.directory}: Procfile, app.json, requirements.txt and the code ({folders})"
    )
    for note in written.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"run it with: dotcloud-emulator up {written.directory}")
    return EXIT_OK


def describe(written: WrittenExport) -> dict[str, object]:
    return {
        "directory": str(written.directory),
        "manifests": [path.as_posix() for path in written.manifests],
        "secrets": [path.as_posix() for path in written.secrets],
    }
