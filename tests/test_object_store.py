"""`data = "s3://bucket/prefix"`: the same KPI results as the local folder, read by Polars from a
local S3-compatible server (moto) started by the test on loopback."""

import socket
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


def test_same_results_as_the_local_folder(s3):
    local, options = s3
    (local / "quotas.parquet").unlink()
    remote = session.run(Settings(data="s3://revops-exports/daily", as_of="latest", months=6, storage=options))
    here = session.run(Settings(data=local, as_of="latest", months=6))
    assert remote.as_of == here.as_of
    for kpi_id, result in here.results.kpis.items():
        theirs = remote.results[kpi_id]
        assert theirs.available == result.available, kpi_id
        assert theirs.series == pytest.approx(result.series), kpi_id
    assert remote.results["mrr"].value and remote.results["mrr"].value > 0
    assert not remote.results["quota_attainment"].available
    assert "table quotas not found in s3://revops-exports/daily/" in remote.results["quota_attainment"].reason


def test_bad_credentials_name_the_table(s3):
    _, options = s3
    wrong = {**options, "aws_endpoint_url": "http://127.0.0.1:9"}  # nothing listens there
    snap = session.run(Settings(data="s3://revops-exports/daily", as_of="2026-11-15", months=2,
                                storage={**wrong, "max_retries": 0, "retry_timeout": "1s"}))
    assert not snap.results["mrr"].available
