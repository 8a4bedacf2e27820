"""`leko sickleave upload` and `leko sickleave staffing` against the real platform: the
registry, the sick-leave service and the gateway as `make run` starts them.

The uploads go to Frederiksberg (k147), which the demo data set does not use, so these tests
and the demo's do not disturb each other on the shared platform."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
from gateway_clients import create_client

from leko_cli.main import main
from leko_cli.platform import Platform
from leko_cli.sickleave_upload import _CsvParts, parse_size

pytestmark = pytest.mark.e2e

HEADER = (
    "source_system,source_record_id,employee_ref,org_code,job_group,cause,start_date,"
    "end_date,fraction\n"
)
ORG = "k147"


@pytest.fixture(scope="module")
def reporter_key(platform: Platform) -> str:
    with httpx.Client(base_url=platform.gateway_url, timeout=10.0) as gateway:
        return create_client(
            gateway, {"X-API-Key": platform.secrets.admin_key}, roles=["reporter"], scope=[ORG]
        )


def leko(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the `leko` command in this process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    code = exited.value.code
    return (code if isinstance(code, int) else 1), captured.out, captured.err


def upload(
    capsys: pytest.CaptureFixture[str], platform: Platform, key: str, path: Path, *extra: str
) -> tuple[int, str, str]:
    """`leko sickleave upload FILE` against the test platform, without a progress bar."""
    return leko(
        capsys,
        "sickleave",
        "upload",
        str(path),
        "--gateway",
        platform.gateway_url,
        "--api-key",
        key,
        "--no-progress",
        *extra,
    )


def spell(
    record_id: str,
    *,
    cause: str = "own_sickness",
    employee: str = "e-cli-1",
    org: str = ORG,
    start: str = "2025-03-03",
    end: str = "2025-03-05",
    fraction: str = "1",
    job_group: str = "lærer",
) -> str:
    return f"cli-test,{record_id},{employee},{org},{job_group},{cause},{start},{end},{fraction}\n"


def write(tmp_path: Path, name: str, *rows: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def test_upload_counts_then_unchanged_then_updated(
    platform: Platform, reporter_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = uuid.uuid4().hex[:8]
    rows = [
        spell(f"{run}-1"),
        spell(f"{run}-2", cause="child_sickness", employee="e-cli-2", end="2025-03-03"),
        spell(f"{run}-3", employee="e-cli-3", end="", fraction="0.5"),
    ]
    path = write(tmp_path, "extract.csv", *rows)
    common = ("--gateway", platform.gateway_url, "--api-key", reporter_key)

    code, out, err = leko(capsys, "sickleave", "upload", str(path), *common)
    assert code == 0, err
    assert "3 created, 0 updated, 0 unchanged" in out
    assert "extract.csv" in err  # the progress bar, on stderr

    code, out, _ = leko(capsys, "sickleave", "upload", str(path), *common, "--no-progress")
    assert code == 0
    assert "0 created, 0 updated, 3 unchanged" in out

    rows[0] = spell(f"{run}-1", end="2025-03-07")
    path = write(tmp_path, "extract.csv", *rows)
    code, out, _ = leko(capsys, "sickleave", "upload", str(path), *common, "--no-progress")
    assert code == 0
    assert "0 created, 1 updated, 2 unchanged" in out


def test_bad_rows_are_named_with_their_lines_and_nothing_is_stored(
    platform: Platform, reporter_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = uuid.uuid4().hex[:8]
    path = write(
        tmp_path,
        "bad.csv",
        spell(f"{run}-ok"),
        # A quoted job group over two lines: row 1 starts on line 3, row 2 on line 5.
        spell(f"{run}-cause", cause="flu", job_group='"social- og\nsundhedsassistent"'),
        spell(f"{run}-cpr", employee="010190-1234"),
        "\n",
        spell(f"{run}-org", org="no-such-org"),
        spell(f"{run}-dates", start="2025-03-10", end="2025-03-01"),
    )
    code, out, err = upload(capsys, platform, reporter_key, path)
    assert code == 1
    assert out == ""
    assert "4 row(s) of bad.csv are not valid, so nothing was stored" in err
    assert "row 1 (line 3) cause: must be one of" in err
    assert "row 2 (line 5) employee_ref:" in err and "CPR" in err
    assert "row 3 (line 7) org_code: unknown organisation `no-such-org`" in err
    assert "row 4 (line 8) end_date: is before start_date" in err

    # Nothing was stored: the good row alone is still new.
    good = write(tmp_path, "good.csv", spell(f"{run}-ok"))
    code, out, _ = upload(capsys, platform, reporter_key, good)
    assert code == 0
    assert "1 created" in out


def test_many_bad_rows_say_how_many_more(
    platform: Platform, reporter_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "many.csv", *(spell(f"many-{n}", cause="flu") for n in range(1200)))
    code, _, err = upload(capsys, platform, reporter_key, path)
    assert code == 1
    assert "1200 row(s) of many.csv are not valid" in err
    assert "row 0 (line 2) cause:" in err
    assert "... and 1150 more problem(s) not listed" in err


def test_split_upload_counts_rows_across_parts(
    platform: Platform, reporter_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = uuid.uuid4().hex[:8]
    rows = [
        spell(
            f"{run}-{n}", employee=f"e-split-{n % 40}", start="2025-04-0" + str(1 + n % 9), end=""
        )
        for n in range(60)
    ]
    rows[20] = spell(f"{run}-20", job_group='"quoted,\nover lines"', employee="e-split-20")
    path = write(tmp_path, "split.csv", *rows)
    common = ("--gateway", platform.gateway_url, "--api-key", reporter_key, "--no-progress")

    code, out, err = leko(capsys, "sickleave", "upload", str(path), *common, "--split", "1k")
    assert code == 0, err
    assert "60 created, 0 updated, 0 unchanged in" in out
    assert int(out.split(" in ")[1].split()[0]) > 2  # parts

    # A bad row in a later part: its index counts from the start of the file, the parts
    # before it are stored, and the line is right (row 20 spans two lines).
    rows[50] = spell(f"{run}-50", cause="flu")
    path = write(tmp_path, "split.csv", *rows)
    code, out, err = leko(capsys, "sickleave", "upload", str(path), *common, "--split", "1k")
    assert code == 1
    assert "row 50 (line 53) cause:" in err
    assert "part(s)" in err and "were stored" in err


def test_org_check_refuses_rows_outside_before_sending(
    platform: Platform, reporter_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "mixed.csv", spell("org-1"), spell("org-2", org="k101"))
    code, _, err = upload(capsys, platform, reporter_key, path, "--org", ORG)
    assert code == 1
    assert "outside --org k147" in err
    assert "k101 (line 3)" in err


def test_out_of_scope_and_bad_key_are_refused(
    platform: Platform, reporter_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "other.csv", spell("scope-1", org="k101"))
    code, _, err = upload(capsys, platform, reporter_key, path)
    assert code == 1
    assert "403 Forbidden" in err and "outside your scope" in err

    bad_key = "leko_0123456789abcdef_" + "x" * 43
    code, _, err = upload(capsys, platform, bad_key, path)
    assert code == 1
    assert "401" in err and "--api-key or LEKO_API_KEY" in err


def test_missing_key_is_a_clear_message(platform: Platform, tmp_path: Path) -> None:
    """Through the real entry point, in a process of its own, without LEKO_API_KEY."""
    path = write(tmp_path, "nokey.csv", spell("nokey-1"))
    env = {name: value for name, value in os.environ.items() if name != "LEKO_API_KEY"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "leko_cli",
            "sickleave",
            "upload",
            str(path),
            "--gateway",
            platform.gateway_url,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "No API key: pass --api-key KEY or set LEKO_API_KEY" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_missing_file_and_unreachable_gateway(
    reporter_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = leko(
        capsys, "sickleave", "upload", str(tmp_path / "absent.csv"), "--api-key", reporter_key
    )
    assert code == 2
    assert "Cannot read" in err
    path = write(tmp_path, "x.csv", spell("x-1"))
    code, _, err = leko(
        capsys,
        "sickleave",
        "upload",
        str(path),
        "--api-key",
        reporter_key,
        "--gateway",
        "http://127.0.0.1:9",
        "--no-progress",
    )
    assert code == 1
    assert "Could not reach the gateway" in err


def test_staffing_upload(
    platform: Platform, reporter_key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "staffing.csv"
    path.write_text(
        "org_code,month,employees,fte,agreed_hours\n"
        f"{ORG},2024-01,120,101.5,16273.5\n"
        f"{ORG},2024-02,121,102.0,16353.7\n",
        encoding="utf-8",
    )
    common = ("--gateway", platform.gateway_url, "--api-key", reporter_key)
    code, out, err = leko(capsys, "sickleave", "staffing", str(path), *common)
    assert code == 0, err
    assert "2 created, 0 updated, 0 unchanged" in out
    code, out, _ = leko(capsys, "sickleave", "staffing", str(path), *common)
    assert "0 created, 0 updated, 2 unchanged" in out

    path.write_text(
        "org_code,month,employees,fte,agreed_hours\n"
        f"{ORG},2024-03,120,101.5,16273.5\n"
        f"{ORG},2024-13,120,-1,16273.5\n",
        encoding="utf-8",
    )
    code, _, err = leko(capsys, "sickleave", "staffing", str(path), *common)
    assert code == 1
    assert "row 1 (line 3) month" in err
    assert "row 1 (line 3) fte" in err


def test_parse_size() -> None:
    assert parse_size("8M") == 8 * 1024 * 1024
    assert parse_size("500k") == 500 * 1024
    assert parse_size("1GiB") == 1024**3
    with pytest.raises(ValueError, match="not a size"):
        parse_size("lots")


def test_parts_are_cut_at_row_boundaries() -> None:
    """--split never cuts inside a quoted field, skips blank lines in its row count, and
    repeats the header in every part."""
    data = b'h1,h2\n"a\nb",c\n\n"x",y\r\nlast,row'
    parts = _CsvParts(io.BytesIO(data), len(data), 1, lambda _sent: None)
    sent = []
    while not parts.done:
        part, body = parts.next_part()
        sent.append((b"".join(body), part.first_row, part.rows))
    assert sent == [
        (b'h1,h2\n"a\nb",c\n', 0, 1),
        (b'h1,h2\n\n"x",y\r\n', 1, 1),
        (b"h1,h2\nlast,row", 2, 1),
    ]
