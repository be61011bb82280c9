"""`data = "s3://bucket/prefix"`: the same KPI results as the local folder, read by Polars from a
local S3-compatible server (moto) started by the test on loopback."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from revops_tui import session
from revops_tui.config import Settings
from revops_tui.demo import generate

moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    options = {"aws_endpoint_url": url, "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
               "aws_region": "us-east-1", "aws_allow_http": "true"}
    client = boto3.client("s3", endpoint_url=url, aws_access_key_id="testing",
                          aws_secret_access_key="testing", region_name="us-east-1")
    client.create_bucket(Bucket="revops-exports")
    local = tmp_path_factory.mktemp("local")
    generate(local, customers=80, months=14)
    for path in sorted(local.glob("*.parquet")):
        if path.stem == "usage":  # one table as a partitioned folder
            client.upload_file(str(path), "revops-exports", "daily/usage/year=2026/part-0.parquet")
        elif path.stem != "quotas":  # one table missing
            client.upload_file(str(path), "revops-exports", f"daily/{path.name}")
    yield local, options
    server.stop()


# The object-store reads run in a child process: once Polars has read from an object store, its
# I/O runtime keeps polling in the background (a few % of a core), and Textual's Pilot, which
# waits for the *process* to go idle after each key, would then wait a second per key in every
# UI test that runs after these in the same process.
REMOTE = """
import json, sys
from revops_tui import session
from revops_tui.config import Settings
args = json.loads(sys.argv[1])
snap = session.run(Settings(**args))
print(json.dumps({"as_of": snap.as_of.isoformat(), "kpis": {
    k: {"available": r.available, "value": r.value, "series": r.series, "reason": r.reason}
    for k, r in snap.results.kpis.items()}}))
"""


def remote_run(**settings) -> dict:
    done = subprocess.run([sys.executable, "-c", REMOTE, json.dumps(settings)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_same_results_as_the_local_folder(s3):
    local, options = s3
    (local / "quotas.parquet").unlink()
    remote = remote_run(data="s3://revops-exports/daily", as_of="latest", months=6, storage=options)
    here = session.run(Settings(data=local, as_of="latest", months=6))
    assert remote["as_of"] == here.as_of.isoformat()
    for kpi_id, result in here.results.kpis.items():
        theirs = remote["kpis"][kpi_id]
        assert theirs["available"] == result.available, kpi_id
        assert [tuple(point) for point in theirs["series"]] == pytest.approx(result.series), kpi_id
    assert remote["kpis"]["mrr"]["value"] and remote["kpis"]["mrr"]["value"] > 0
    assert not remote["kpis"]["quota_attainment"]["available"]
    assert "table quotas not found in s3://revops-exports/daily/" in remote["kpis"]["quota_attainment"]["reason"]


def test_bad_credentials_name_the_table(s3):
    _, options = s3
    wrong = {**options, "aws_endpoint_url": "http://127.0.0.1:9"}  # nothing listens there
    snap = remote_run(data="s3://revops-exports/daily", as_of="2026-11-15", months=2,
                      storage={**wrong, "max_retries": 0, "retry_timeout": "1s"})
    assert not snap["kpis"]["mrr"]["available"]


CLI = "import sys; from revops_tui.cli import main; sys.exit(main(sys.argv[1:]))"


def remote_cli(tmp_path: Path, storage: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    (tmp_path / "config.toml").write_text(f'data = "s3://revops-exports/daily"\nas_of = "2026-11-15"\n[storage]\n{storage}')
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environ.update({"XDG_CACHE_HOME": str(tmp_path / "cache"), **(env or {})})
    return subprocess.run([sys.executable, "-c", CLI, "report", "--config", str(tmp_path / "config.toml"),
                           "--format", "json"], capture_output=True, text=True, timeout=120, env=environ,
                          cwd=tmp_path)


def test_unreachable_endpoint_fails_fast_once_naming_the_path(tmp_path):
    import time

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    port = sock.getsockname()[1]
    started = time.monotonic()
    done = remote_cli(tmp_path, f'aws_endpoint_url = "http://127.0.0.1:{port}"\naws_allow_http = true\n'
                                'aws_region = "us-east-1"\naws_access_key_id = "x"\naws_secret_access_key = "y"\n')
    sock.close()
    assert time.monotonic() - started < 60
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert lines[0].startswith("error: table customers: cannot read s3://revops-exports/daily/customers.parquet:")
    assert "(path:" not in lines[0]
    assert "error: table subscriptions: not read: the object store is unreachable (see table customers)" in lines

