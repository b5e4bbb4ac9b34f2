"""The figures of the How-to pages (docs/howto-*.md), written next to them in docs/.

* compare_resnet50.png — latency per dataflow at dla's area budget (mul 0.5), exact;
* design_mobilenet_v2.png — the default search's design (Result.plot), seed 0;
* convergence_mobilenet_v2.png — best latency so far, confuciux vs rl vs ga, relative to the optimum;
* fronts_mobilenet_v2.png — written by the code of docs/howto-tradeoff.md (run it in docs/).

Usage: python docs/scripts/howto_figures.py   (needs confuciux[plot])
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import confuciux as cx  # noqa: E402
from confuciux.compare import compare_dataflows  # noqa: E402
from confuciux.plot import plot_convergence  # noqa: E402

DOCS = Path(__file__).resolve().parent.parent


def main() -> None:
    resnet = cx.zoo.load("resnet50")
    compare_dataflows(resnet, mul=0.5).plot().savefig(DOCS / "compare_resnet50.png", dpi=80)
    model = cx.zoo.load("mobilenet_v2")
    platform = cx.Platform.confuciux(model, "dla", "area", 0.5)
    result = cx.Explorer(model, platform, seed=0).run()
    result.plot().savefig(DOCS / "design_mobilenet_v2.png", dpi=70)
    runs = [cx.Explorer(model, platform, method=m, seed=0).run() for m in ("confuciux", "rl", "ga")]
    optimum = cx.Explorer(model, platform, method="exact").run().objective_value
    fig = plot_convergence(runs, relative_to=optimum, relative_name="optimum")
    fig.savefig(DOCS / "convergence_mobilenet_v2.png", dpi=80)


if __name__ == "__main__":
    main()
