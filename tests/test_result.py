"""Result: JSON round trip, and a checked schema on load (clear ValueErrors only)."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import confuciux as cx
from confuciux._result_schema import MAX_DEPTH, REQUIRED


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    model = cx.zoo.load("example")
    result = cx.Explorer(model, cx.Platform.confuciux(model), epochs=6, seed=0).run()
    return json.loads(result.to_json())


def load(d: Any) -> cx.Result:
    return cx.Result.from_json(json.dumps(d))


def with_(d: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(d)
    out.update(changes)
    return out


def test_round_trip_is_exact(doc):
    text = json.dumps(doc)
    r = cx.Result.from_json(text)
    assert r.to_json() == text
    assert r.pes.dtype == np.int64 and r.costs.runtime.dtype == np.float64
    assert cx.Result.from_json(text.encode()).to_json() == text  # bytes too


def invalid_first_layer(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with layer 0 not costed (status 1): its costs null, the design infeasible."""
    d = copy.deepcopy(doc)
    for f in d["costs"]:
        d["costs"][f][0] = {"valid": False, "status": 1}.get(f)
    d.update(feasible=False, objective_value=None)
    for u in d["constraint_used"].values():
        u.update(used=None, fraction=None)
    return d


def test_round_trip_keeps_nan_costs(doc):
    d = invalid_first_layer(doc)  # an invalid layer: NaN in memory, null in JSON
    r = load(d)
    assert math.isnan(r.costs.runtime[0]) and json.loads(r.to_json())["costs"]["runtime"][0] is None
    assert not r.feasible and math.isnan(r.objective_value)


def test_any_method_name_loads(doc):
    """A result saved by a method registered in another process (or an unregistered instance)
    loads without the registry."""
    assert load(with_(doc, method="my-method(depth=3)")).method == "my-method(depth=3)"


def _over_budget(d: dict[str, Any]) -> None:
    u = d["constraint_used"]["area"]
    u.update(used=u["budget"] * 2, fraction=2.0)


def _set(path: str, value: Any) -> Any:
    def change(d: dict[str, Any]) -> None:
        *head, last = path.split(".")
        holder: Any = d
        for part in head:
            holder = holder[int(part)] if part.isdigit() else holder[part]
        holder[int(last) if last.isdigit() else last] = value

    return change


@pytest.mark.parametrize(
    "change, message",
    [
        (_set("costs.valid.1", False), r"costs.valid\[1\] is false but costs.status\[1\] is 0"),
        (_set("costs.status.0", 2), r"costs.valid\[0\] is true but costs.status\[0\] is 2 \(overflow\)"),
        (_set("costs.energy.1", None), r"costs.energy\[1\] is null but costs.valid\[1\] is true"),
        (_set("objective_value", -1.0), "objective_value must be >= 0"),
        (_set("lower_bound", -1.0), "lower_bound must be >= 0"),
        (_over_budget, r"feasible is true but constraint_used.area.used .* is over its budget"),
        (_set("constraint_used.area.fraction", 0.01), "constraint_used.area.fraction is 0.01 but used / budget"),
        (_set("constraint_used.area.budget", 0), "constraint_used.area.budget must be a finite number > 0"),
        (_set("feasible", False), "feasible is false but every layer is valid and every budget is kept"),
        (lambda d: d.update(lower_bound=2 * d["objective_value"]), r"lower_bound .* is above the objective_value"),
    ],
)
def test_contradictions_are_rejected(doc, change, message):
    d = copy.deepcopy(doc)
    change(d)
    with pytest.raises(ValueError, match=message):
        load(d)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_tokens_are_rejected(doc, token):
    text = json.dumps(doc).replace('"objective_value": ', f'"objective_value": {token}, "was": ', 1)
    with pytest.raises(ValueError, match=f"holds {token}, which is not JSON"):
        cx.Result.from_json(text)


@pytest.mark.parametrize("key", ["model", "pes", "costs", "seed", "platform", "feasible"])
def test_missing_key_is_named(doc, key):
    d = copy.deepcopy(doc)
    del d[key]
    with pytest.raises(ValueError, match=f"lacks required key.*{key}"):
        load(d)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"pes": [1.5, 2]}, r"pes\[0\] must be an integer, got 1.5"),
        ({"pes": [4, -5]}, r"pes\[1\] must be in \[1, 9223372036854775807\], got -5"),
        ({"buffers": [2**63, 1]}, r"buffers\[0\] must be in"),
        ({"pes": [True, 2]}, r"pes\[0\] must be an integer"),
        ({"pes": []}, "empty"),
        ({"buffers": [1]}, "buffers has 1 values but pes has 2"),
        ({"objective": "bogus"}, "unknown objective 'bogus'"),
        ({"method": ""}, "method must be a non-empty string"),
        ({"model": 3}, "model must be a string"),
        ({"feasible": "yes"}, "feasible must be true or false"),
        ({"evaluations": -1}, "evaluations must be in"),
        ({"seconds": -0.5}, "seconds must be a finite number >= 0"),
        ({"seed": 2.0}, "seed must be an integer"),
        ({"constraint_used": {"volume": {"used": 1, "budget": 2, "fraction": 0.5}}}, "unknown budget 'volume'"),
        ({"constraint_used": {"area": {"used": 1}}}, r"constraint_used.area lacks required key\(s\): budget"),
        ({"history": [{"epoch": "one"}]}, r"history\[0\].epoch must be a number"),
        ({"platform": []}, "platform must be an object"),
    ],
)
def test_schema_violations_are_named(doc, changes, message):
    with pytest.raises(ValueError, match=message):
        load(with_(doc, **changes))


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("runtime", [1.0], r"costs.runtime has 1 values but pes has 2"),
        ("energy", [1.0, -3.0], r"costs.energy\[1\] must be >= 0"),
        ("valid", [1, 0], r"costs.valid\[0\] must be true or false"),
        ("status", [0, 10], r"costs.status\[1\] must be one of"),
    ],
)
def test_cost_arrays_are_checked(doc, field, value, message):
    d = copy.deepcopy(doc)
    d["costs"][field] = value
    with pytest.raises(ValueError, match=message):
        load(d)


def test_deep_nesting_is_a_value_error_not_a_recursion_error(doc):
    with pytest.raises(ValueError, match="nested more than"):
        cx.Result.from_json("[" * 100_000)
    d = with_(doc, platform={"x": json.loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))})
    with pytest.raises(ValueError, match="nested more than"):
        load(d)
    # brackets inside strings do not count
    assert load(with_(doc, model="[[[{{{" * 100)).model_name.startswith("[[[")


@pytest.mark.parametrize(
    "text, message",
    [("", "not valid JSON"), ("[1, 2]", "must be an object, got an array"), ("1" * 5000, "not valid JSON")],
)
def test_not_a_result_document(text, message):
    with pytest.raises(ValueError, match=message):
        cx.Result.from_json(text)


def test_non_text_is_a_type_error():
    with pytest.raises(TypeError, match="str or bytes"):
        cx.Result.from_json(12)  # type: ignore[arg-type]


# --- fuzz: whatever the input, a Result or a clear ValueError -------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


def _accepts_or_explains(text: str) -> None:
    try:
        r = cx.Result.from_json(text)
    except ValueError as exc:
        assert str(exc)  # a message, not an empty error
        return
    r.summary()  # an accepted document gives a usable Result
    cx.Result.from_json(r.to_json())


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from([*REQUIRED, "improvements"]) | st.text(max_size=12), value=json_values,
       delete=st.booleans())  # fmt: skip
def test_fuzz_top_level_fields(doc, key, value, delete):
    d = copy.deepcopy(doc)
    if delete:
        d.pop(key, None)
    else:
        d[key] = value
    _accepts_or_explains(json.dumps(d))


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["pes", "buffers", "runtime", "valid", "status", "history", "constraint_used"]),
       index=st.integers(0, 3), value=json_values)  # fmt: skip
def test_fuzz_nested_values(doc, field, index, value):
    d = copy.deepcopy(doc)
    holder = d["costs"] if field in d["costs"] else d
    container = holder[field]
    if isinstance(container, list) and container:
        container[index % len(container)] = value
    elif isinstance(container, dict) and container:
        container[sorted(container)[index % len(container)]] = value
    else:
        holder[field] = value
    _accepts_or_explains(json.dumps(d))


@settings(max_examples=300)
@given(st.text(max_size=60) | json_values.map(json.dumps))
def test_fuzz_arbitrary_text(text):
    _accepts_or_explains(text)


def test_summary_sums_pes_without_int64_wrap(doc):
    r = load(with_(doc, pes=[2**62, 2**62]))
    assert f"PEs {2**63}" in r.summary()  # an int64 sum printed -9223372036854775808


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"space": [1]}, "space must be an object"),
        ({"reason": 3}, "reason must be a string"),
        # summary() read them: IndexError, KeyError or NumPy's UFuncTypeError from a loaded result
        ({"space": {"pe_bounds": [1]}}, r"space.pe_bounds must be \[lo, hi\], got 1 value"),
        ({"space": {"pe_bounds": "x"}}, r"space.pe_bounds must be an array"),
        ({"space": {"buffer_bounds": ["a", "b"]}}, r"space.buffer_bounds\[0\] must be an integer"),
        ({"space": {"pe_bounds": [5, 2]}}, r"space.pe_bounds must be \[lo, hi\] with lo <= hi"),
    ],
)
def test_optional_keys_are_checked_when_present(doc, changes, message):
    with pytest.raises(ValueError, match=message):
        load(with_(doc, **changes))


def test_a_loaded_result_with_its_space_summarises(doc):
    r = load(with_(doc, space={"pe_bounds": [1, 2], "buffer_bounds": [1, 2]}))
    assert "on the space's upper bound" in r.summary()


_SAVE_WITH_A_REGISTERED_METHOD = """
import sys
from dataclasses import dataclass
import confuciux as cx
from confuciux.search.methods import register
from confuciux.search.random_search import RandomSearch

@dataclass(frozen=True)
class Mine(RandomSearch):
    name: str = "mine"

register(Mine())
m = cx.zoo.load("example")
print(cx.Explorer(m, cx.Platform.confuciux(m), method="mine", epochs=3, seed=0).run().to_json())
"""


def test_a_result_of_a_registered_method_loads_in_another_process():
    """from_json checked the method against this process's registry (reached by an import cycle
    result -> _result_schema -> explorer -> result): a result saved by a method registered in
    another process did not load."""
    import subprocess
    import sys

    text = subprocess.run([sys.executable, "-c", _SAVE_WITH_A_REGISTERED_METHOD], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    r = cx.Result.from_json(text)
    assert r.method == "mine" and "mine" not in cx.METHODS and r.feasible


def test_the_schema_imports_nothing_above_the_result():
    """The schema's imports, anywhere in the module (a lazy one inside a function included): only
    stages below the result."""
    import ast

    import confuciux._result_schema as schema

    tree = ast.parse(open(schema.__file__).read())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}
    assert imported and imported <= {"_limits", "cost", "platform", "budgets", "search.objectives"}, imported


def test_files_with_a_former_output_name_load(doc):
    """Results saved before ``throughput`` became ``macs_per_cycle`` still load."""
    old = copy.deepcopy(doc)
    old["costs"]["throughput"] = old["costs"].pop("macs_per_cycle")
    r = cx.Result.from_json(json.dumps(old))
    np.testing.assert_array_equal(r.costs.macs_per_cycle, cx.Result.from_json(json.dumps(doc)).costs.macs_per_cycle)
