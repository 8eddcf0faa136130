"""The Dask engine: extract on a cluster equals a local run, and its parts map as the articles do."""

import json
import shutil

import pytest
from click.testing import CliRunner

from geomap.cli import cli
from geomap.dask_engine import MIN_PARTITION_BYTES, PARTITION_BYTES, partition_size, plan_partitions
from geomap.documents import InputLog, ReadOptions, read_documents, read_file
from geomap.mentions.nlp import load_pipeline

from conftest import NEWS, SEEDS


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Seeds, single articles, one bad file and a JSONL file large enough to be cut in parts."""
    folder = tmp_path_factory.mktemp("archive")
    for seed in SEEDS.glob("*.txt"):
        shutil.copy(seed, folder / seed.name)
    for n, text in enumerate(NEWS[:3]):
        (folder / f"b{n}.txt").write_text(f"date 2024-05-0{n + 1} (Wire) — {text}")
    (folder / "c-empty.txt").write_text("")
    records = [{"id": f"wire-{n}", "text": NEWS[n % len(NEWS)], "date": f"2024-06-{n % 28 + 1:02d}",
                "source": "Wire", "url": f"https://example.org/{n}"} for n in range(40)]
    lines = [json.dumps(r) for r in records]
    lines[7] = "{not json"
    (folder / "d-wire.jsonl").write_text("\n".join(lines) + "\n")
    return folder


def run(*args):
    result = CliRunner().invoke(cli, [*args, "--no-cache", "-q"])
    return result


def test_a_large_jsonl_file_is_cut_at_line_ends_and_keeps_its_line_numbers(archive):
    log = InputLog(lambda _line: None)
    partitions = plan_partitions((str(archive),), ReadOptions(), log, workers=2, partition_bytes=1000)
    wire = [piece for pieces in partitions for piece in pieces
            if piece.file.path.name.endswith(".jsonl")]
    assert len(wire) > 3
    assert wire[0].part.start == 0 and wire[-1].part.end == (archive / "d-wire.jsonl").stat().st_size
    assert all(a.part.end == b.part.start for a, b in zip(wire, wire[1:]))

    parts_log = InputLog(lambda _line: None)
    in_parts = [d for piece in wire for d in read_file(piece.file, ReadOptions(), parts_log,
                                                       piece.part)]
    whole_log = InputLog(lambda _line: None)
    whole = [d for d in read_documents([str(archive)], whole_log) if d.path.endswith("wire.jsonl")]
    assert in_parts == whole and len(whole) == 39
    assert parts_log.failed == 1 and whole_log.failed == 2  # the bad line; and the empty file


def test_partitions_spread_small_inputs_over_the_workers_and_cap_large_ones():
    assert partition_size(1_000_000, workers=2) == 125_000
    assert partition_size(10_000, workers=2) == MIN_PARTITION_BYTES
    assert partition_size(10**10, workers=8) == PARTITION_BYTES


@pytest.fixture(scope="module")
def cluster():
    import distributed  # geomap[dask], installed by `make test`
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        yield cluster, client


@pytest.mark.parametrize("output_format", ["documents", "mentions"])
def test_extract_on_a_two_worker_local_cluster_equals_the_local_run(archive, cluster, tmp_path,
                                                                    output_format):
    local_cluster, client = cluster
    local = run("extract", str(archive), "--format", output_format, "-o", str(tmp_path / "local.jsonl"))
    dask = run("extract", str(archive), "--format", output_format, "--engine", "dask",
               "--scheduler", local_cluster.scheduler_address, "--partition-bytes", "1000",
               "-o", str(tmp_path / "parts"))
    assert local.exit_code == dask.exit_code == 1  # the empty file and the bad JSONL line
    for result in (local, dask):
        assert f"geomap: error: {archive.name}/c-empty.txt: empty file" in result.output
        assert f"geomap: error: {archive.name}/d-wire.jsonl:8: invalid JSON" in result.output
        assert "inputs: 6 processed, 0 skipped, 2 failed" in result.output
    parts = sorted((tmp_path / "parts").iterdir())
    assert [p.name for p in parts[:2]] == ["part-00000.jsonl", "part-00001.jsonl"] and len(parts) > 4
    combined = "".join(part.read_text(encoding="utf-8") for part in parts)
    assert combined == (tmp_path / "local.jsonl").read_text(encoding="utf-8")
    assert "Kharkiv" in combined and "wire-39" in combined
    # Every worker loaded the model at most once, however many partitions it ran.
    loads = client.run(lambda: load_pipeline.cache_info().misses)
    assert len(loads) == 2 and set(loads.values()) <= {0, 1} and sum(loads.values()) >= 1


def test_build_from_a_dask_runs_parts_equals_building_from_the_articles(archive, cluster, tmp_path):
    local_cluster, _client = cluster
    dask = run("extract", str(archive), "--format", "documents", "--engine", "dask",
               "--scheduler", local_cluster.scheduler_address, "--partition-bytes", "3000",
               "-o", str(tmp_path / "parts"))
    assert dask.exit_code == 1, dask.output
    from_parts = run("build", "--from-extract", str(tmp_path / "parts"), "-o",
                     str(tmp_path / "a" / "map.html"))
    direct = run("build", str(archive), "-o", str(tmp_path / "b" / "map.html"))
    assert from_parts.exit_code == 0 and direct.exit_code == 1
    assert "geomap: 44 documents, " in from_parts.output and "geomap: 44 documents, " in direct.output
    for name in ("map.html", "map.geojson", "map.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    places = {f["properties"]["name"] for f in json.loads((tmp_path / "a" / "map.geojson").read_text())["features"]}
    assert {"Kharkiv", "Odesa", "Bakhmut", "Mariupol", "Yavoriv"} <= places


def test_the_dask_engine_needs_an_output_folder_and_never_deletes_other_files(archive, tmp_path):
    result = run("extract", str(archive), "--engine", "dask")
    assert result.exit_code == 2 and "name it with -o DIR" in result.output
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    result = run("extract", str(archive), "--engine", "dask", "--jobs", "1", "-o", str(folder))
    assert result.exit_code == 2 and "holds other things than part-*.jsonl files" in result.output
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_the_dask_engine_stops_at_max_documents_like_a_local_run(archive, cluster, tmp_path):
    local_cluster, _client = cluster
    local = run("extract", str(archive), "--format", "documents", "--max-documents", "10",
                "-o", str(tmp_path / "local.jsonl"))
    dask = run("extract", str(archive), "--format", "documents", "--max-documents", "10",
               "--engine", "dask", "--scheduler", local_cluster.scheduler_address,
               "--partition-bytes", "1000", "-o", str(tmp_path / "parts"))
    combined = "".join(p.read_text(encoding="utf-8") for p in sorted((tmp_path / "parts").iterdir()))
    assert combined == (tmp_path / "local.jsonl").read_text(encoding="utf-8")
    assert len(combined.splitlines()) == 10
    assert "the limit of 10 documents is reached (--max-documents)" in dask.output
    assert dask.exit_code == local.exit_code


def test_an_unreachable_scheduler_is_one_line_and_nothing_is_written(archive, tmp_path):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = run("extract", str(archive), "--engine", "dask", "--scheduler",
                     "tcp://127.0.0.1:9", "-o", str(tmp_path / "parts"))
    assert result.exit_code == 2  # nothing was written
    assert "cannot reach the Dask scheduler: Timed out trying to connect to tcp://127.0.0.1:9" \
        in result.output
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []


def test_offline_refuses_a_scheduler_on_the_network(archive, tmp_path):
    result = run("extract", str(archive), "--engine", "dask", "--offline", "--scheduler",
                 "tcp://10.255.255.1:8786", "-o", str(tmp_path / "parts"))
    assert result.exit_code == 2
    assert "--offline: tcp://10.255.255.1:8786 is on the network" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_local_cluster_listens_on_loopback_only(archive, tmp_path, monkeypatch):
    import distributed
    import psutil

    def sockets():
        here = psutil.Process()
        return {c.laddr for process in (here, *here.children(recursive=True))
                for c in process.net_connections("inet") if c.status == psutil.CONN_LISTEN}

    already = sockets()  # other tests' clusters
    listening = set()

    class Watching(distributed.Client):
        """Notes every socket the run's cluster listens on, once it is up."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            listening.update(sockets() - already)

    monkeypatch.setattr(distributed, "Client", Watching)
    result = run("extract", str(archive / "b0.txt"), "--engine", "dask", "--jobs", "1",
                 "-o", str(tmp_path / "parts"))
    assert result.exit_code == 0, result.output
    assert listening and all(address.ip in ("127.0.0.1", "::1") for address in listening), listening


def test_a_server_that_is_not_a_dask_scheduler_is_one_line(archive, tmp_path):
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))

    def answer_http():
        with server:
            for _ in range(5):
                connection, _address = server.accept()
                with connection:
                    connection.recv(100)
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" * 50)
    threading.Thread(target=answer_http, daemon=True).start()
    port = server.getsockname()[1]
    result = run("extract", str(archive), "--engine", "dask", "--scheduler",
                 f"tcp://127.0.0.1:{port}", "-o", str(tmp_path / "parts"))
    assert result.exit_code == 2
    assert f"tcp://127.0.0.1:{port} does not answer as a Dask scheduler" in result.output
    assert "Traceback" not in result.output and list(tmp_path.iterdir()) == []
