"""confuciux.dataflow.presets: the named dataflows, in one table.

With MAESTRO_BIN and MAESTRO_DATA (a MAESTRO binary and its checkout's data/ directory), the
MAESTRO families are run against the shipped mapping files they come from, layer by layer."""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
from pathlib import Path

import pytest

from conftest import GOLDEN_DIR
from confuciux.dataflow import Dataflow, Temporal, preset
from confuciux.dataflow.presets import CONFUCIUX, PRESETS, names
from confuciux.formats.maestro import layer_block
from confuciux.workload import Layer, Model
from maestro_run import maestro_bin, run_maestro

RESNET = Layer(128, 64, 58, 58, 3, 3, name="conv3")
FAMILIES = ("kcp_ws", "xp_ws", "yxp_os", "ykp_os", "rs", "nlr", "ckp_ws", "nmk")


def test_the_table():
    assert names() == tuple(PRESETS) and set(CONFUCIUX) | set(FAMILIES) == set(PRESETS)
    for name, p in PRESETS.items():
        df = preset(name)
        assert p.name == name and p.description and p.kinds and p.origin
        assert Dataflow.parse(str(df)) == df and df is preset(name.upper())  # parsed once
        assert 1 <= len(df.levels) <= 2
        layer = Layer.gemm(64, 32, 16) if p.kinds == ("GEMM",) else Layer(16, 8, 12, 12, 3, 3, p.kinds[0])
        bound = df.bind(layer, pes=16, buffers=2)
        assert all(b.size >= 1 for b in bound)
    with pytest.raises(ValueError, match="unknown dataflow preset 'nvdla'; expected one of dla, shi, eye, dpt, kcp_ws"):
        preset("nvdla")


def test_named_tiles_have_defaults_and_can_be_changed():
    kcp = preset("kcp_ws")
    assert kcp.constants == {"ClusterC": 64} and kcp.free_names == frozenset()
    bound = kcp.bind(RESNET, constants={"ClusterC": 16})
    assert [b.size for b in bound if b.kind == "cluster"] == [16]
    assert preset("yxp_os").constants == {"ClusterX": 8} and preset("ykp_os").constants == {"ClusterK": 16}
    assert preset("nmk").constants == {"MTileSz": 1, "NTileSz": 1, "KTileSz": 100}  # gnmt_nmk.m's values
    # ConfuciuX's: the design's knobs stay free
    assert preset("dla").free_names == {"KTileSz", "ClusterSz"} and preset("dpt").free_names == {"KTileSz"}


def test_grouped_forms():
    g = preset("kcp_ws", grouped=True)
    assert g.directives[0] == Temporal("G", 1) and g.directives[1:] == preset("kcp_ws").directives
    assert preset("dla", grouped=True) == preset("dla")  # ConfuciuX maps no G
    assert Dataflow.preset("nlr", grouped=True).bind(Layer(64, 64, 8, 8, 3, 3, groups=32))[0].dim == "G"


@pytest.mark.parametrize("name", CONFUCIUX)
def test_confuciux_presets_are_its_dataflow_files(name):
    """ConfuciuX's dataflow files (whole copies in tests/golden/dataflows/)."""
    text = (GOLDEN_DIR / "dataflows" / f"{name}.m").read_text()
    assert Dataflow.parse(text) == preset(name)


# -- the documentation ----------------------------------------------------------------------
DOCS = Path(__file__).resolve().parents[1] / "docs" / "dataflows.md"


def _table(name: str) -> str:
    rows = ["| level | cluster | maps (outer loop first) |", "|---|---|---|"]
    for i, level in enumerate(preset(name).levels):
        where = "all PEs" if level.cluster is None else f"`{level.cluster.text().rstrip(';')}`"
        rows.append(f"| {i + 1} | {where} | " + " · ".join(f"`{m.text().rstrip(';')}`" for m in level.maps) + " |")
    return "\n".join(rows)


def test_the_docs_show_every_preset_as_it_is():
    text = DOCS.read_text(encoding="utf-8")
    for name in PRESETS:
        assert f"### {name} — " in text and _table(name) in text, name


def test_the_docs_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the examples write files (mine.m, export/)
    blocks = re.findall(r"^```python\n(.*?)^```", DOCS.read_text(encoding="utf-8"), re.S | re.M)
    assert len(blocks) >= 3
    for code in blocks:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(code, str(DOCS), "exec"), {})  # noqa: S102 (the page's own examples)


# -- against MAESTRO ---------------------------------------------------------------------------
_DATA = os.environ.get("MAESTRO_DATA", "")
# The shipped *_rs.m files of ResNet-50, ResNeXt-50, UNet and VGG-16 write another row-stationary
# program (X and S across a cluster's PEs) than the documented rs (tools/frontend/dataflow/rs.m,
# googlenet/mnasnet/squeezenet_rs.m), which the preset follows; MAESTRO crashes on most of them.
_OTHER_RS = {"Resnet50_rs.m", "ResNeXt50_rs.m", "UNet_RS.m", "vgg16_rs.m"}
# Layers where a shipped file departs from its own family: an X tile written for S = 3 on a
# 1x1 layer, a cluster of 10, an offset of 1, grouped layers without the G map the others have.
_ODD = {("UNet_yxp_os.m", 22), *(("ResNeXt50_yxp_os.m", i) for i in (23, 26, 32, 35, 49))}


def _family(path: Path) -> str | None:
    return next((f for f in FAMILIES if path.stem.lower().endswith("_" + f)), None)


def test_presets_reproduce_maestros_shipped_files():
    """Each family preset, on layers of the shipped files written with it, gives MAESTRO's
    output exactly (a sample: two layers of every file)."""
    binary = maestro_bin()
    if not _DATA:
        pytest.skip("MAESTRO_DATA (a maestro checkout's data/ directory) not set")
    rng = random.Random(0)
    compared = 0
    for path in sorted(Path(_DATA, "mapping").glob("*.m")):
        family = _family(path)
        if family is None or path.name in _OTHER_RS:
            continue
        try:
            model = Model.from_maestro(path)
        except ValueError:  # MAESTRO refuses the file too (tests/test_maestro_files.py)
            continue
        layers = [i for i, l in enumerate(model) if l.kind != "DSCONV" and (path.name, i) not in _ODD]
        for i in rng.sample(layers, min(2, len(layers))):
            layer, shipped = model[i], model.dataflows[i]
            ours = preset(family, grouped=layer.groups != 1)
            head = [f"Constant {k} {v};" for k, v in {**shipped.constants, **ours.constants}.items()]

            def mapping(df: Dataflow, layer: Layer = layer, i: int = i, head: list[str] = head) -> str:
                return "\n".join([*head, "Network n {", *layer_block(layer, i, df), "}"]) + "\n"

            a, b = run_maestro(mapping(shipped), 256, binary), run_maestro(mapping(ours), 256, binary)
            assert a.status == b.status == "ok" and a.rows == b.rows, (path.name, i)
            compared += 1
    assert compared > 40


def test_ykp_os_runs_where_the_shipped_files_are_refused():
    """MAESTRO refuses every shipped *_ykp_os.m (an R tile offset of 7); the preset takes the
    filter whole and runs."""
    binary = maestro_bin()
    text = "\n".join([*(f"Constant {k} {v};" for k, v in preset("ykp_os").constants.items()), "Network n {",
                      *layer_block(RESNET, 0, preset("ykp_os")), "}"]) + "\n"  # fmt: skip
    run = run_maestro(text, 256, binary)
    assert run.status == "ok" and int(run.rows[0]["Num MACs"]) == RESNET.macs
