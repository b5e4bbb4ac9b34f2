"""Figures render (Agg) with the expected panels, labels and data."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import pytest

import confuciux as cx

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from confuciux.plot import plot_convergence, plot_fronts  # noqa: E402


@pytest.fixture(scope="module")
def result() -> cx.Result:
    m = cx.zoo.load("vgg16")
    return cx.Explorer(m, cx.Platform.confuciux(m, "shi", "area", 0.5), epochs=30, seed=0).run()


def test_result_plot_panels_and_file(result, tmp_path):
    out = tmp_path / "r.png"
    fig = result.plot(str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    pes_ax, buf_ax, share_ax = fig.axes
    assert [p.get_height() for p in pes_ax.patches] == [float(v) for v in result.pes]
    assert [p.get_height() for p in buf_ax.patches] == [float(v) for v in result.buffers]
    shares = np.array([p.get_height() for p in share_ax.patches])
    assert shares.size == 2 * len(result.pes)
    n = len(result.pes)
    assert shares[:n].sum() == pytest.approx(100) and shares[n:].sum() == pytest.approx(100)
    assert pes_ax.get_ylabel() == "PEs" and "KTileSz" in buf_ax.get_ylabel() and "%" in share_ax.get_ylabel()
    title = fig._suptitle.get_text()
    assert "vgg16" in title and "cycles" in title and "area" in title and "µm²" in title
    legend = [t.get_text() for t in share_ax.get_legend().get_texts()]
    assert legend[0].startswith("runtime (total") and "nJ" in legend[1]


@dataclass
class _Front:
    resource: np.ndarray
    objective: np.ndarray
    resource_name: str = "area"
    objective_name: str = "latency"
    label: str = ""


def test_plot_fronts_draws_each_front_with_units(tmp_path):
    a = _Front(np.array([1e6, 2e6, 4e6]), np.array([9e7, 5e7, 4e7]), label="dla")
    b = _Front(np.array([1.5e6, 3e6]), np.array([8e7, 6e7]), label="shi")
    fig = plot_fronts([a, b])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "area (µm²)" and ax.get_ylabel() == "latency (cycles)"
    assert [line.get_label() for line in ax.get_lines()] == ["dla", "shi"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), a.resource)
    np.testing.assert_array_equal(ax.get_lines()[1].get_ydata(), b.objective)
    fig.savefig(tmp_path / "f.png")
    # one front, into an axis of the caller's figure, with labels given
    from matplotlib.figure import Figure

    own = Figure()
    target = own.add_subplot()
    assert plot_fronts(a, ax=target, labels=["mine"], logx=True) is own
    assert target.get_xscale() == "log" and target.get_lines()[0].get_label() == "mine"
    # log scales by default where values span 20x or more (an exact front does)
    wide = _Front(np.geomspace(3e4, 3e6, 50), np.geomspace(6e8, 2e7, 50), label="dla")
    ax = plot_fronts(wide).axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log" and ax.get_legend() is not None
    assert plot_fronts(a).axes[0].get_xscale() == "linear"
    with pytest.raises(ValueError, match="2 labels for 1 fronts"):
        plot_fronts(a, labels=["x", "y"])
    with pytest.raises(ValueError, match="front 0"):
        plot_fronts(_Front(np.array([1.0, 2.0]), np.array([1.0])))


def test_plot_convergence_from_history(result):
    fig = plot_convergence([result], relative_to=result.objective_value)
    ax = fig.axes[0]
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), [h["evaluations"] for h in result.history])
    y = np.asarray(line.get_ydata())
    assert y[-1] == 1.0 and np.all(np.diff(y[np.isfinite(y)]) <= 0)  # best so far never rises
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "design evaluations"
    fig = plot_convergence(result, x="epoch")
    assert fig.axes[0].get_xlabel() == "epoch" and "cycles" in fig.axes[0].get_ylabel()
    with pytest.raises(ValueError, match="x must be"):
        plot_convergence(result, x="time")


def test_missing_matplotlib_names_the_extra(result, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"confuciux\[plot\]"):
        result.plot()
    with pytest.raises(ImportError, match=r"confuciux\[plot\]"):
        plot_convergence(result)


def test_plot_comparison_bars_and_budget(tmp_path):
    from confuciux.compare import compare_dataflows

    c = compare_dataflows(cx.zoo.load("vgg16"), ("dla", "shi", "eye"), budgets={"area": 2e6})
    out = tmp_path / "c.png"
    fig = c.plot(str(out))
    assert out.read_bytes()[:4] == b"\x89PNG"
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [r.objective_value for r in c.results.values()]
    notes = [t.get_text() for t in ax.texts]
    assert notes[list(c.results).index(c.best)] == "×1.000"
    assert "same budget for every dataflow: area 2e+06 µm²" in ax.get_title()
    assert ax.get_ylabel() == "latency (cycles)"


@pytest.mark.parametrize("n", [1, 2])
def test_tiny_models_have_integer_ticks(n):
    """A one-layer design was labelled layers -0.6, 0.0, 0.6 and 0.2 PEs."""
    model = cx.Model("tiny", tuple(cx.Layer(8, 4, 10, 10, 3, 3) for _ in range(n)))
    fig = cx.Explorer(model, cx.Platform("dla", budgets={"area": 1.0}), method="random", epochs=2).run().plot()
    fig.canvas.draw()
    for ax, axis in ((fig.axes[2], "x"), (fig.axes[0], "y"), (fig.axes[1], "y")):
        lo, hi = ax.get_xlim() if axis == "x" else ax.get_ylim()
        ticks = [t for t in (ax.get_xticks() if axis == "x" else ax.get_yticks()) if lo <= t <= hi]
        assert ticks and all(float(t).is_integer() for t in ticks), (axis, ticks)
