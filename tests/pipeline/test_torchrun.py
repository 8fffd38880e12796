"""`torchrun --nproc_per_node 2 -m evalkit run` (gloo, CPU) gives the same results as one process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pandas as pd
import pytest

from tests.pipeline.conftest import VALUE_COLUMNS, values


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_config(path, config) -> str:
    settings = {key: val for key, val in config.to_dict().items() if val is not None}
    path.write_text(json.dumps(settings))
    return str(path)


@pytest.mark.slow
def test_two_gloo_ranks_equal_one_process(tiny_config, tmp_path):
    config = tiny_config(max_clips=3, batch_size=1, no_cache=True)
    config_file = _write_config(tmp_path / "run.yaml", config)  # JSON is valid YAML
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "EVALKIT_OFFLINE": "1"}
    common = ["-m", "evalkit", "run", "--config", config_file, "--no-progress"]
    single = tmp_path / "single"
    ranked = tmp_path / "ranked"
    subprocess.run([sys.executable, *common, "--out", str(single)], env=env, check=True, timeout=600)
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        "--master_port",
        str(_free_port()),
    ]
    subprocess.run([*torchrun, *common, "--out", str(ranked)], env=env, check=True, timeout=600)

    one, two = json.loads((single / "results.json").read_text()), json.loads((ranked / "results.json").read_text())
    assert two["device"]["world_size"] == 2
    table = values(ranked)
    assert list(table.index) == ["bigbuckbunny", "bikes", "carphone"]
    assert table["rank"].tolist() == [0, 1, 0]
    pd.testing.assert_frame_equal(table[VALUE_COLUMNS], values(single)[VALUE_COLUMNS])
    assert two["metrics"]["psnr"] == one["metrics"]["psnr"]
    for comparison in ("teacher", "student", "student_vs_teacher"):
        expected = one["metrics"]["fvd"]["values"][comparison]["value"]
        assert two["metrics"]["fvd"]["values"][comparison]["value"] == pytest.approx(expected, rel=1e-9)
