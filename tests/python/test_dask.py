"""lrelu inside Dask: a chunked array through map_blocks, and a two-worker LocalCluster."""
import numpy as np
import pytest

import lrelu
from conftest import assert_same_bits

da = pytest.importorskip("dask.array")


def test_map_blocks_equals_one_call():
    x = np.random.default_rng(2).standard_normal((300, 500)).astype(np.float32)
    dx = da.from_array(x, chunks=(70, 130))
    y = dx.map_blocks(lrelu.leaky_relu, 0.2, framework="mindspore", dtype=np.float32)
    assert_same_bits(y.compute(scheduler="threads"), lrelu.leaky_relu(x, 0.2, framework="mindspore"))
    dd = da.from_array(x[:, ::-1].T, chunks=(100, 64))  # strided, negative-stride blocks
    y = dd.map_blocks(lrelu.leaky_relu, dtype=np.float32)
    assert_same_bits(y.compute(), lrelu.leaky_relu(np.ascontiguousarray(x[:, ::-1].T)))


def count_diff(path_x, slope):
    """The per-file job of docs/python.md: where two frameworks disagree (the DiffResult
    travels back from the worker process pickled)."""
    import numpy as np
    import lrelu
    return lrelu.diff(np.load(path_x), negative_slope=slope)


def count_by_hand(path_x, slope):
    x = np.load(path_x)
    a = lrelu.leaky_relu(x, slope, framework="torch")
    b = lrelu.leaky_relu(x, slope, framework="mindspore")
    return int(np.count_nonzero(a.view(np.uint16) != b.view(np.uint16)))


def test_local_cluster_two_workers(tmp_path):
    distributed = pytest.importorskip("distributed")
    rng = np.random.default_rng(3)
    paths = []
    for i in range(6):
        p = str(tmp_path / ("act%d.npy" % i))
        np.save(p, rng.standard_normal(5000).astype(np.float16))
        paths.append(p)
    serial = [count_diff(p, 0.2) for p in paths]
    assert [r.differ for r in serial] == [count_by_hand(p, 0.2) for p in paths]
    assert sum(r.differ for r in serial) > 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as cluster, \
            distributed.Client(cluster, timeout=60) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        futures = client.map(count_diff, paths, slope=0.2)
        got = client.gather(futures, errors="raise")
        x = np.random.default_rng(4).standard_normal((400, 300)).astype(np.float32)
        dx = da.from_array(x, chunks=(100, 100))
        y = dx.map_blocks(lrelu.leaky_relu, 0.2, dtype=np.float32).compute()
    assert [r.as_dict() for r in got] == [r.as_dict() for r in serial]
    assert all(np.array_equal(g.mask, r.mask) for g, r in zip(got, serial))
    assert_same_bits(y, lrelu.leaky_relu(x, 0.2))
