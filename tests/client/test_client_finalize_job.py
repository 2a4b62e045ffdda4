"""finalize_job writes the CSV files 3.0 wrote (byte for byte) plus final_metrics.json."""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path

import pytest

from cluster_utils import client
from cluster_utils.base import constants, job_protocol
from cluster_utils.client import submission_state


class FakeNumpyScalar:
    """Stands in for a numpy/torch scalar: only ``.item()``."""

    def __init__(self, value):
        self.value = value

    def item(self):
        return self.value


@pytest.fixture()
def params(tmp_path):
    working_dir = tmp_path / "wd"
    argv = [
        "job",
        "--parameter-dict",
        repr(
            {
                "working_dir": str(working_dir),
                "id": 3,
                "fn_args": {"u": 0.5, "v": 10, "flag": True, "tup": (1, 2)},
                "name": "a,b",
                "none": None,
                "lr": 1e-05,
            }
        ),
    ]
    return client.initialize_job(argv, verbose=False)


def _read_text(path):
    with open(path, newline="") as file:
        return file.read()


def _read_rows(path):
    with open(path, newline="") as file:
        return list(csv.reader(file))


def test_param_and_metric_csv(params, monkeypatch):
    monkeypatch.setattr(submission_state, "start_time", 100.0)
    monkeypatch.setattr("time.time", lambda: 102.5)
    metrics = {"result": 1.25, "ok": False, "steps": FakeNumpyScalar(7)}
    client.finalize_job(metrics, params)

    working_dir = params.working_dir
    param_text = _read_text(f"{working_dir}/{constants.CLUSTER_PARAM_FILE}")
    assert param_text == (
        "working_dir,id,fn_args.u,fn_args.v,fn_args.flag,fn_args.tup,name,none,lr\r\n"
        f'{working_dir},3,0.5,10,True,"[1, 2]","a,b",,1e-05\r\n'
    )
    metric_text = _read_text(f"{working_dir}/{constants.CLUSTER_METRIC_FILE}")
    assert metric_text == "result,ok,steps,time_elapsed\r\n1.25,False,7,2.5\r\n"
    # 3.0 changed the metrics dict in place
    assert metrics == {"result": 1.25, "ok": False, "steps": 7, "time_elapsed": 2.5}

    final = job_protocol.read_final_metrics(working_dir)
    assert final["metrics"] == metrics
    assert final["time"] == 102.5


def test_csv_read_back(params):
    client.finalize_job({"result": 0.1}, params)
    rows = _read_rows(f"{params.working_dir}/{constants.CLUSTER_PARAM_FILE}")
    assert len(rows) == 2
    assert dict(zip(*rows, strict=True))["fn_args.u"] == "0.5"
    rows = _read_rows(f"{params.working_dir}/{constants.CLUSTER_METRIC_FILE}")
    assert rows[0] == ["result", "time_elapsed"]
    assert float(rows[1][0]) == 0.1


def test_csv_read_with_pandas(params):
    pd = pytest.importorskip("pandas")
    client.finalize_job({"result": 0.1, "flag": True, "n": 3, "missing": None}, params)
    param_frame = pd.read_csv(f"{params.working_dir}/{constants.CLUSTER_PARAM_FILE}")
    assert list(param_frame.columns) == [
        "working_dir",
        "id",
        "fn_args.u",
        "fn_args.v",
        "fn_args.flag",
        "fn_args.tup",
        "name",
        "none",
        "lr",
    ]
    row = param_frame.iloc[0]
    assert row["fn_args.u"] == 0.5
    assert row["fn_args.v"] == 10
    assert row["fn_args.flag"] is True or row["fn_args.flag"] == True  # noqa: E712
    assert row["fn_args.tup"] == "[1, 2]"
    assert row["name"] == "a,b"
    assert math.isnan(row["none"])
    assert row["lr"] == 1e-05
    metric_frame = pd.read_csv(f"{params.working_dir}/{constants.CLUSTER_METRIC_FILE}")
    assert list(metric_frame.columns) == ["result", "flag", "n", "missing", "time_elapsed"]
    assert metric_frame["result"].dtype.kind == "f"
    assert metric_frame["flag"].dtype.kind == "b"
    assert metric_frame["n"].dtype.kind == "i"
    assert math.isnan(metric_frame["missing"][0])


def test_time_elapsed_already_taken(params):
    metrics = {"time_elapsed": 5}
    with pytest.warns(UserWarning, match="'time_elapsed' metric already taken"):
        client.finalize_job(metrics, params)
    assert metrics == {"time_elapsed": 5}


def test_numpy_scalars_if_numpy_installed(params):
    np = pytest.importorskip("numpy")
    metrics = {"a": np.float32(0.5), "b": np.int64(2), "c": np.array(1.5)}
    client.finalize_job(metrics, params)
    assert {type(value) for value in metrics.values()} <= {int, float}
    final = job_protocol.read_final_metrics(params.working_dir)["metrics"]
    assert final["a"] == 0.5 and final["b"] == 2 and final["c"] == 1.5


def test_without_working_dir_warns_and_writes_nothing(tmp_path):
    params = client.initialize_job(["job", "--parameter-dict", "{'x': 1}"], verbose=False)
    with pytest.warns(UserWarning, match="no 'working_dir'"):
        client.finalize_job({"result": 1.0}, params)
    assert list(tmp_path.iterdir()) == []


def test_writes_are_atomic_no_temp_files_left(params):
    client.finalize_job({"result": 1.0}, params)
    names = {path.name for path in Path(params.working_dir).rglob("*")}
    assert not any(name.endswith(".tmp") for name in names)


def test_save_metrics_params_alias(params):
    with pytest.warns(FutureWarning, match="deprecated"):
        client.save_metrics_params({"result": 1.0}, params)
    assert _read_text(f"{params.working_dir}/{constants.CLUSTER_METRIC_FILE}").startswith("result,")


def test_plain_dict_params(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client.finalize_job({"r": 1}, {"working_dir": str(tmp_path / "w"), "a": {"b": 2}})
    with open(tmp_path / "w" / constants.CLUSTER_PARAM_FILE, newline="") as file:
        assert file.read() == f"working_dir,a.b\r\n{tmp_path / 'w'},2\r\n"
