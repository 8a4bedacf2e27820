"""`leko`: the platform's command line.

leko run [--demo]   migrate, seed and start every service and the gateway; Ctrl-C stops
leko demo           load the demo data set into a running platform through the gateway
leko sickleave upload FILE.csv     send a payroll extract of absence spells (streamed)
leko sickleave staffing FILE.csv   send monthly staffing (org_code, month, employees, fte,
                                   agreed_hours)
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
from leko_cli.sickleave_upload import (
    CommandError,
    default_gateway,
    parse_size,
    upload_absences,
    upload_staffing,
)
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


def sickleave_upload(args: argparse.Namespace) -> int:
    return upload_absences(
        Path(args.file),
        gateway=args.gateway,
        api_key=args.api_key,
        org=args.org,
        split_bytes=args.split,
        progress=not args.no_progress,
    )


def sickleave_staffing(args: argparse.Namespace) -> int:
    return upload_staffing(Path(args.file), gateway=args.gateway, api_key=args.api_key)


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _add_sickleave(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sickleave = commands.add_parser("sickleave", help="send sick-leave data through the gateway")
    actions = sickleave.add_subparsers(dest="action", required=True)
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument(
        "--gateway",
        default=default_gateway(),
        help="the gateway's URL (default: LEKO_GATEWAY_URL, else the local one)",
    )
    connection.add_argument(
        "--api-key", help="a reporter key for the organisations in the file (or LEKO_API_KEY)"
    )
    upload = actions.add_parser(
        "upload",
        parents=[connection],
        help="upload a CSV of absence spells",
        description="Stream a CSV of absence spells (header: source_system, source_record_id, "
        "employee_ref, org_code, job_group, cause, start_date, end_date, fraction) to POST "
        "/sickleave/v1/absences/batch. One atomic batch unless --split is given. Prints the "
        "spells created, updated and unchanged; on refusal, the rows at fault and exit code 1.",
    )
    upload.add_argument("file", metavar="FILE.csv")
    upload.add_argument(
        "--org",
        metavar="CODE",
        help="refuse to send unless every row's org_code is CODE or below it in the registry",
    )
    upload.add_argument(
        "--split",
        metavar="SIZE",
        type=_size,
        help="send parts of about SIZE (e.g. 8M) for gateways with a smaller request limit; "
        "each part is atomic on its own, and uploading again is safe",
    )
    upload.add_argument("--no-progress", action="store_true", help="no progress bar")
    upload.set_defaults(handler=sickleave_upload)
    staffing = actions.add_parser(
        "staffing",
        parents=[connection],
        help="upload a CSV of monthly staffing",
        description="Send a CSV with the header org_code, month (yyyy-mm), employees, fte, "
        "agreed_hours to POST /sickleave/v1/staffing/batch, 10,000 rows a request.",
    )
    staffing.add_argument("file", metavar="FILE.csv")
    staffing.set_defaults(handler=sickleave_staffing)


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
    _add_sickleave(commands)
    args = parser.parse_args(argv)
    try:
        code = args.handler(args)
    except CommandError as exc:
        print(exc.message, file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        code = 130
    sys.exit(code)
