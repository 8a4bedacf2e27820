"""Start the LEKO services and the gateway as separate processes, and stop them cleanly.

Used by `leko run` (and so `make run`) and by the end-to-end tests, so that what the tests
exercise is exactly what a developer starts. Each service is migrated and seeded before it
serves; the gateway starts last, pointed at the services' ports.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from leko_kit.auth import generate_keypair


@dataclass(frozen=True)
class Component:
    """A process of the platform: its name, Python package, default port, and whether it has
    reference data to seed."""

    name: str
    package: str
    port: int
    seeded: bool = False


# Started in this order (the registry first: the others replicate its organisations); the
# gateway is started after all of them.
SERVICES: tuple[Component, ...] = (
    Component("registry", "leko_registry", 8001, seeded=True),
    Component("evaluation", "leko_evaluation", 8002, seeded=True),
    Component("surveys", "leko_surveys", 8003, seeded=True),
    Component("sickleave", "leko_sickleave", 8004),
)
GATEWAY = Component("gateway", "leko_gateway", 8000)
STARTUP_SECONDS = 60.0


def generate_api_key() -> str:
    """A key in the gateway's format, `leko_<key id>_<secret>`."""
    return f"leko_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"


def _read_or_create(path: Path, create: str) -> str:
    if path.exists():
        return path.read_text().strip() + ("\n" if create.endswith("\n") else "")
    path.write_text(create)
    path.chmod(0o600)
    return create


@dataclass
class DevSecrets:
    """The development key pair and admin key, kept in the data directory between runs."""

    private_pem: str
    public_pem: str
    admin_key: str

    @classmethod
    def load(cls, data_dir: Path, admin_key: str | None) -> DevSecrets:
        data_dir.mkdir(parents=True, exist_ok=True)
        private_file, public_file = data_dir / "internal-token.pem", data_dir / "internal-token.pub"
        if not (private_file.exists() and public_file.exists()):
            private_pem, public_pem = generate_keypair()
            private_file.write_text(private_pem)
            private_file.chmod(0o600)
            public_file.write_text(public_pem)
        key = admin_key or _read_or_create(data_dir / "admin-key", generate_api_key())
        return cls(private_file.read_text(), public_file.read_text(), key.strip())


@dataclass
class Platform:
    """The running processes of one local LEKO."""

    data_dir: Path
    ports: Mapping[str, int]
    secrets: DevSecrets
    extra_env: Mapping[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "LEKO_DATA_DIR": str(self.data_dir),
                "LEKO_INTERNAL_TOKEN_PUBLIC_KEY": self.secrets.public_pem,
                "GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY": self.secrets.private_pem,
                "LEKO_BOOTSTRAP_ADMIN_KEY": self.secrets.admin_key,
                "GATEWAY_SERVICES": ",".join(service.name for service in SERVICES),
            }
        )
        for name, port in self.ports.items():
            env[f"LEKO_{name.upper()}_PORT"] = str(port)
            if name != "gateway":
                env[f"LEKO_{name.upper()}_URL"] = self.url(name)
        env.update(self.extra_env)
        return env

    def _run(self, package: str, command: str) -> None:
        completed = subprocess.run(
            [sys.executable, "-m", package, command],
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"{package} {command} failed:\n{completed.stderr[-4000:]}")
        if completed.stdout.strip():
            print(completed.stdout.strip(), flush=True)

    def _serve(self, name: str, package: str) -> None:
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", package, "serve"],
            env=self.env(),
            start_new_session=True,
        )
        self._wait_healthy(name)

    def _wait_healthy(self, name: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            process = self.processes[name]
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with code {process.returncode} at start-up")
            try:
                if httpx.get(f"{self.url(name)}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not answer /healthz within {STARTUP_SECONDS:.0f} s")

    def start(self) -> None:
        try:
            for component in (*SERVICES, GATEWAY):
                self._run(component.package, "migrate")
                if component.seeded:
                    self._run(component.package, "seed")
                self._serve(component.name, component.package)
        except BaseException:
            self.stop()
            raise

    def restart(self, name: str) -> None:
        """Start one stopped child again (after a crash, or in failure tests)."""
        package = {c.name: c.package for c in (*SERVICES, GATEWAY)}[name]
        self._serve(name, package)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM every child (gateway first), then SIGKILL what is still running."""
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def exited(self) -> str | None:
        """The name of a child that has stopped on its own, if any."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        return None


def default_ports() -> dict[str, int]:
    ports = {component.name: component.port for component in (*SERVICES, GATEWAY)}
    for name in ports:
        override = os.environ.get(f"LEKO_{name.upper()}_PORT")
        if override:
            ports[name] = int(override)
    return ports
