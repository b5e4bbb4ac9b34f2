"""Area shares (MACs, L1, L2, NoC) of a model's layer-pipelined design under a hardware preset.

Usage: python docs/scripts/area_shares.py [model] [preset]   (defaults: mobilenet_v2 default)
Prints one row per (dataflow, P, k), as in docs/cost-model.md.
"""

from __future__ import annotations

import sys

import numpy as np

import confuciux as cx


def shares(model, dataflow: str, pes: int, k: int, hw: cx.Hardware) -> dict[str, float]:
    c = cx.evaluate(model, pes, k, dataflow, hw)
    v = c.valid
    p = np.full(int(v.sum()), float(pes))
    bw = hw.bus_width + hw.bus_width_per_pe * p
    a2, a1, a0 = hw.arbiter_poly
    parts = {
        "MACs": hw.mac_area * p,
        "L1": hw.l1_area * p * c.l1_bytes[v],
        "L2": hw.l2_area * c.l2_bytes[v],
        "NoC": (hw.bus_area_per_port * p + hw.bus_area_base) * bw
        + hw.arbiter_area * np.maximum(hw.arbiter_area_floor, (a2 * p + a1) * p + a0),
    }
    total = c.area[v].sum()
    assert np.isclose(sum(x.sum() for x in parts.values()), total)  # the parts are the whole
    out = {name: x.sum() / total for name, x in parts.items()}
    out["total_mm2"] = total / 1e6
    return out


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "mobilenet_v2"
    hw = getattr(cx.Hardware, sys.argv[2] if len(sys.argv) > 2 else "default")()
    model = cx.zoo.load(name)
    for df in ("dla", "shi", "eye"):
        for pes, k in ((16, 4), (64, 4), (128, 12)):
            s = shares(model, df, pes, k, hw)
            cells = "  ".join(f"{n} {100 * s[n]:.1f}%" for n in ("MACs", "L1", "L2", "NoC"))
            print(f"{df} P={pes:<4d} k={k:<3d} {cells}  total {s['total_mm2']:.3g} mm2")


if __name__ == "__main__":
    main()
