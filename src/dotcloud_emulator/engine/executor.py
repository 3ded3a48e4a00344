"""What an engine must do to carry out a plan. `ComposeEngine` is the one we have; a Swarm or a
Kubernetes engine would implement the same methods, and the rollout would not change."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Literal, Protocol

from dotcloud_emulator.engine.plan import Action, InstanceKey

OnReady = Callable[[str], None]  # called with `www.0` (or `gateway`) as each one answers
Rotation = Mapping[str, Collection[int]]  # HTTP service -> instances the gateway sends traffic to
Side = Literal["current", "new"]  # an instance's containers while it is replaced beside itself


class Executor(Protocol):
    # What runs: the facts a plan starts from.

    def running(self) -> list[InstanceKey]: ...

    def existing(self) -> list[InstanceKey]: ...  # running or not

    def outdated(self) -> list[InstanceKey]: ...  # code instances made from an older image

    # What to do. `first`: nothing of the application runs yet, so the engine may start
    # dependencies in its own order and drop what the application no longer has.

    def start(self, keys: Sequence[InstanceKey], *, first: bool = False) -> None: ...

    def wait(self, keys: Sequence[InstanceKey], on_ready: OnReady | None = None) -> None: ...

    def replace(self, key: InstanceKey, action: Action) -> None: ...

    def retire(self, key: InstanceKey) -> None: ...

    # Replacing an instance beside itself, the last of its service in the gateway: pin its
    # traffic to its current containers, start a new one beside them (then `wait`), pin the
    # traffic to the new one, and end by removing the side not kept.

    def pin(self, key: InstanceKey, which: Side) -> None: ...

    def start_beside(self, key: InstanceKey) -> None: ...

    def end_beside(self, key: InstanceKey, *, keep: Side) -> None: ...

    # The gateway in front of the HTTP services.

    def gateway_serves(self) -> bool: ...  # it runs, on the application's port, current

    def start_gateway(self, *, first: bool = False) -> None: ...

    def wait_gateway(self, on_ready: OnReady | None = None) -> None: ...

    def route(self, rotation: Rotation) -> None: ...  # no-op while no gateway runs

    # What brings a dead instance back when the engine itself does not.

    def keep_healing(self) -> None: ...
