"""`info`: a service's details as dotCloud 0.4 printed them (YAML), or an application's summary."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

import yaml

from dotcloud_emulator.api.services import AppView, ServiceFacts, service_document, summary_row
from dotcloud_emulator.cli.commands.common import Subparsers, add_json_flag, print_json
from dotcloud_emulator.platform.target import parse_target
from dotcloud_emulator.yamlout import ReadableDumper as InfoDumper


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "info",
        help="show a service's details, or an application's services",
        description="With APP.SERVICE, print the service's details as YAML (type, config with "
        "generated passwords, instances, URLs that work from this machine). With APP, print a "
        "table of its services.",
    )
    parser.add_argument("target", metavar="APP[.SERVICE]", help="e.g. tutorial.session")
    add_json_flag(parser)
    parser.set_defaults(handler=run_info)


def run_info(args: argparse.Namespace) -> int:
    target = parse_target(args.target, max_depth=2)
    view = AppView.open(target.app)
    if target.service is not None:
        view.check_service(target.service)
        document = service_document(view.facts(target.service))
        if args.json:
            print_json(document)
        else:
            print(render_yaml(document), end="")
        return 0
    summary = [view.facts(name) for name in view.require_services()]
    if args.json:
        print_json([summary_row(facts) for facts in summary])
    else:
        print_summary(target.app, summary)
    return 0


def render_yaml(document: Mapping[str, object]) -> str:
    return yaml.dump(
        dict(document), Dumper=InfoDumper, indent=4, sort_keys=True, default_flow_style=False
    )


def summary_table(rows: Sequence[Mapping[str, object]]) -> str:
    """The plain `+------+` table of the dotCloud CLI's `pprint_table`."""
    headers = ["name", "type", "instances", "state"]
    cells = [[str(row[h]) for h in headers] for row in rows]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(headers)]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(values: Sequence[str]) -> str:
        return "|" + "|".join(f" {v:<{w}} " for v, w in zip(values, widths, strict=True)) + "|"

    return "\n".join([rule, line(headers), rule, *(line(c) for c in cells), rule])


def print_summary(app: str, summary: Sequence[ServiceFacts]) -> None:
    print(f"=== {app}")
    print(summary_table([summary_row(facts) for facts in summary]))
