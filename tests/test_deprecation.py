"""Every old name of the 0.2 API pass still works for one release and warns (CHANGELOG.md,
"Deprecated"); a FutureWarning where scripts use it, a DeprecationWarning for module internals."""

from __future__ import annotations

import numpy as np
import pytest

import confuciux as cx
from confuciux._deprecation import REMOVED_IN

MODEL = cx.Model("toy", [cx.Layer(16, 8, 10, 10, 3, 3), cx.Layer(8, 16, 8, 8, 1, 1)])
SMALL = dict(pe_levels=(1, 2, 4), buffer_levels=(1, 2))


def test_package_names():
    with pytest.warns(FutureWarning, match=rf"confuciux\.native .* {REMOVED_IN}.*BACKEND"):
        assert cx.native is (cx.BACKEND == "c")
    with pytest.warns(FutureWarning, match=r"pareto_front"):
        front = cx.pareto(MODEL, cx.Platform("dla", **SMALL), "latency", "pes")
    assert np.array_equal(front.objective, cx.pareto_front(MODEL, cx.Platform("dla", **SMALL), "latency", "pes").objective)
    assert cx.pareto.ParetoFront is cx.ParetoFront  # the module, no longer shadowed


def test_result_and_comparison_model_names():
    r = cx.Explorer(MODEL, cx.Platform("dla", **SMALL), method="exact").run()
    with pytest.warns(FutureWarning, match="model_name"):
        assert r.model == "toy" == r.model_name
    from confuciux.compare import compare_dataflows

    c = compare_dataflows(MODEL, ("dla", "eye"), budgets={"pes": 8})
    with pytest.warns(FutureWarning, match="model_name"):
        assert c.model == "toy" == c.model_name


def test_platform_by_position():
    with pytest.warns(FutureWarning, match=r"Platform\(hardware, deployment\) by position"):
        p = cx.Platform("eye", cx.Hardware.maestro(), "LS")
    assert p == cx.Platform("eye", hardware=cx.Hardware.maestro(), deployment="LS")
    with pytest.raises(TypeError):
        cx.Platform("eye", cx.Hardware.maestro(), hardware=cx.Hardware.default())


def test_module_names():
    from confuciux import plot, presets
    from confuciux.cost import dataflows
    from confuciux.search import exact, knapsack

    for module, name, new in [(dataflows, "Dataflow", dataflows.Preset), (knapsack, "Solution", knapsack.ExactResult),
                              (exact, "EXACT_OBJECTIVES", exact.exact_objectives()),
                              (presets, "MODEL_SUFFIXES", cx.formats.suffixes())]:  # fmt: skip
        with pytest.warns(DeprecationWarning, match=REMOVED_IN):
            assert getattr(module, name) == new
    with pytest.warns(DeprecationWarning, match="kernel_id"):
        assert dataflows.BY_NAME["shi"].c_id == 1
    with pytest.warns(DeprecationWarning, match="unit"):
        assert plot.UNITS["edp"] == "cycles·nJ"
