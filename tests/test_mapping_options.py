"""A searched mapping's layer searches on a process pool (``MappingSearch.workers``): the same
options and results as in this process, bit for bit; the cache shared; errors naming the layer;
no worker left running when the parent is killed."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from confuciux import Explorer, Hardware, Layer, Model, Platform
from confuciux.mapping import MappingSpace, options
from confuciux.mapping.options import layer_options
from confuciux.mapping.settings import MappingSearch
from confuciux.sweeps import Case
from proc_support import alive, pool_workers

# three shapes (one shared by two layers), small enough for a genetic search of 300 evaluations
MODEL = Model("three", [Layer(16, 8, 8, 8, 3, 3, name="c1"), Layer(32, 16, 4, 4, 1, 1, name="pw"),
                        Layer(16, 8, 8, 8, 3, 3, name="c1b"), Layer(1, 32, 6, 6, 3, 3, "DSCONV", name="dw")])  # fmt: skip
SPEC = MappingSearch(MappingSpace(levels=(1, 2)), evaluations=300, seed=3)
PES = np.arange(1, 25)
MODEL_HW = Hardware.default()


def _programs(opts: options.LayerOptions) -> list[list[str]]:
    return [[str(p) for p in progs] for progs in opts.programs]


def test_workers_give_the_options_of_one_process_bit_for_bit():
    options._CACHE.clear()
    one = layer_options(list(MODEL), SPEC, PES, MODEL_HW, "latency")
    options._CACHE.clear()
    two = layer_options(list(MODEL), MappingSearch(SPEC.space, 300, seed=3, workers=2), PES, MODEL_HW, "latency")
    assert two.evaluations == one.evaluations == 3 * 300  # three shapes searched, the shared one once
    np.testing.assert_array_equal(two.counts, one.counts)
    for f in options.FIELDS:
        np.testing.assert_array_equal(two.costs[f], one.costs[f])  # NaN slots too
    assert _programs(two) == _programs(one)
    # another seed is another search: the comparison above could fail
    options._CACHE.clear()
    other = layer_options(list(MODEL), MappingSearch(SPEC.space, 300, seed=4, workers=2), PES, MODEL_HW, "latency")
    assert _programs(other) != _programs(one)


def test_workers_take_no_part_in_the_cache_or_a_case_hash():
    spec2 = MappingSearch(SPEC.space, 300, seed=3, workers=2)
    assert spec2 == SPEC and hash(spec2) == hash(SPEC) and spec2.describe() == SPEC.describe()
    options._CACHE.clear()
    layer_options(list(MODEL), spec2, PES, MODEL_HW, "latency")
    again = layer_options(list(MODEL), SPEC, PES, MODEL_HW, "latency")  # in the cache: no search, no pool
    assert again.evaluations == 0
    platform = Platform(SPEC, budgets={"area": 5e6}, pe_bounds=(1, 24), pe_levels=(1, 8, 24))
    case = Case(MODEL, platform, method="exact")
    assert case.key() == Case(MODEL, dataclasses.replace(platform, dataflow=spec2), method="exact").key()
    with pytest.raises(ValueError, match="workers"):
        MappingSearch(workers=0)


def test_a_platform_with_workers_finds_the_same_design():
    options._CACHE.clear()
    kw = dict(budgets={"area": 2e6}, pe_bounds=(1, 24), pe_levels=(1, 8, 24))
    one = Explorer(MODEL, Platform(SPEC, **kw), method="exact").run()  # type: ignore[arg-type]
    options._CACHE.clear()
    spec2 = MappingSearch(SPEC.space, 300, seed=3, workers=2)
    two = Explorer(MODEL, Platform(spec2, **kw), method="exact").run()  # type: ignore[arg-type]
    assert two.space["mapping_evaluations"] == one.space["mapping_evaluations"] > 0
    np.testing.assert_array_equal(two.pes, one.pes)
    assert [str(d) for d in two.dataflows] == [str(d) for d in one.dataflows]
    assert two.objective_value == one.objective_value


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_search_names_its_layer(workers):
    options._CACHE.clear()
    spec = MappingSearch(SPEC.space, 300, seed=3, workers=workers)
    with pytest.raises(ValueError, match=r"layer 0 \(c1\)'s mapping search: .*objective"):
        layer_options(list(MODEL), spec, PES, MODEL_HW, "throughput")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_killed_explore_leaves_no_search_worker(tmp_path, sig):
    """``explore --mapping search --workers 2`` killed mid-search: its workers end with it."""
    err = tmp_path / "err.txt"
    cmd = [sys.executable, "-m", "confuciux", "explore", "--model", "resnet18", "--mapping", "search",
           "--budget", "area=2e7", "--method", "exact", "--evaluations", "10000000", "--workers", "2", "--quiet"]
    with open(err, "w") as stderr:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=stderr)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        # the pool's two workers (multiprocessing's resource tracker is a third child, of its own)
        while len(workers := pool_workers(proc.pid)) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, err.read_text()
            time.sleep(0.05)
        time.sleep(0.5)  # searching
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == (-signal.SIGKILL if sig == signal.SIGKILL else 143)
        deadline = time.monotonic() + 5
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [w for w in workers if alive(w)]
    finally:
        for pid in [proc.pid, *workers]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_more_shapes_than_the_cache_holds(monkeypatch):
    monkeypatch.setattr(options, "_CACHE_SIZE", 1)
    options._CACHE.clear()
    small = MappingSearch(SPEC.space, 50, seed=3)
    opts = layer_options(list(MODEL), small, PES, MODEL_HW, "latency")
    assert opts.evaluations == 3 * 50 and len(options._CACHE) == 1 and (opts.counts > 0).all()
    options._CACHE.clear()
