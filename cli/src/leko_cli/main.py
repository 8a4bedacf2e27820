"""`leko`: the platform's command line.

leko run [--demo]   migrate, seed and start every service and the gateway; Ctrl-C stops
leko demo           load the demo data set into a running platform through the gateway
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from leko_cli.demo import load_demo
from leko_cli.platform import DevSecrets, Platform, default_ports, generate_api_key
from leko_kit.auth import generate_keypair


class _Stop(Exception):
    pass


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def run(args: argparse.Namespace) -> int:
    data_dir = Path(os.environ.get("LEKO_DATA_DIR", ".data")).resolve()
    secrets = DevSecrets.load(data_dir, os.environ.get("LEKO_BOOTSTRAP_ADMIN_KEY"))
    platform = Platform(data_dir=data_dir, ports=default_ports(), secrets=secrets)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    try:
        platform.start()
        if args.demo:
            print(load_demo(platform.gateway_url, secrets.admin_key), flush=True)
        print(banner(platform), flush=True)
        while (stopped := platform.exited()) is None:
            time.sleep(0.5)
        print(f"\n{stopped} stopped unexpectedly; stopping the rest.", file=sys.stderr)
        return 1
    except _Stop:
        print("\nStopping LEKO ...", flush=True)
        return 0
    except RuntimeError as exc:
        print(f"LEKO could not start: {exc}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C (uv forwards the first one to us as well) must not cut the shutdown.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        platform.stop()


def banner(platform: Platform) -> str:
    url = platform.gateway_url
    return f"""
LEKO is running.
  Gateway:    {url}
  API docs:   {url}/docs
  Admin key:  {platform.secrets.admin_key}
  Data:       {platform.data_dir}

Try:
  curl {url}/registry/v1/organisations/k101
  curl -H "X-API-Key: {platform.secrets.admin_key}" {url}/gateway/v1/whoami

Press Ctrl-C to stop.
"""


def demo(_args: argparse.Namespace) -> int:
    data_dir = Path(os.environ.get("LEKO_DATA_DIR", ".data")).resolve()
    secrets = DevSecrets.load(data_dir, os.environ.get("LEKO_BOOTSTRAP_ADMIN_KEY"))
    gateway = f"http://127.0.0.1:{default_ports()['gateway']}"
    print(load_demo(gateway, secrets.admin_key))
    return 0


def keygen(_args: argparse.Namespace) -> int:
    private_pem, public_pem = generate_keypair()
    print(f'GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY="{private_pem.strip()}"')
    print(f'LEKO_INTERNAL_TOKEN_PUBLIC_KEY="{public_pem.strip()}"')
    print(f"LEKO_BOOTSTRAP_ADMIN_KEY={generate_api_key()}")
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="leko", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="start the platform locally")
    run_parser.add_argument("--demo", action="store_true", help="load the demo data set")
    run_parser.set_defaults(handler=run)
    commands.add_parser("demo", help="load demo data into a running platform").set_defaults(
        handler=demo
    )
    commands.add_parser("keygen", help="print new production secrets").set_defaults(handler=keygen)
    args = parser.parse_args(argv)
    sys.exit(args.handler(args))
