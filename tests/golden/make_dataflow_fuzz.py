"""Fuzz Dataflow.parse and bind against MAESTRO itself; regenerate tests/golden/dataflow_fuzz.json.

Seeded cases: a base program (the presets, random 1–3-level programs in the style of GAMMA's
genomes) mutated one to three times — words deleted, duplicated, swapped; odd blanks, tabs,
line ends, comments; braces glued to words; bad numbers; unknown dimensions; Cluster types;
extra levels — bound to a random CONV, DSCONV or GEMM layer with a random design (PEs and
KTileSz).  Each case is read by us (``Dataflow.parse`` then ``bind``) and by MAESTRO (the text in
a layer's ``Dataflow`` block of a mapping file, the free names declared as Constants), and
sorted into:

* ``agree-accept``: we bind it; MAESTRO's parser takes it and its analysis prints a row;
* ``agree-refuse``: we refuse it; MAESTRO's parser refuses it (``line``: both lines, which must
  agree when no ``//`` comment comes before: MAESTRO counts a comment's line twice);
* ``early-refuse``: we refuse what MAESTRO's parser passes and its analysis refuses or crashes
  on (our layer-independent rules: known dimensions, one or two SpatialMaps a level, at most
  four levels, Cluster types P/L; and MAESTRO's "Dimension Q not found" when binding);
* ``analysis``: we bind it; MAESTRO's parser takes it, its analysis refuses or crashes: the cost
  engine's business (its statuses);
* ``embedding``: a text with words after its block, which we refuse; in the mapping file MAESTRO
  runs they fall to the enclosing layer and network (a second ``}`` closes the layer);
* ``deliberate``: where we part from MAESTRO on purpose (docs/dataflows.md): a number beyond a
  32-bit int (MAESTRO wraps it), a CRLF line end (MAESTRO keeps the ``\\r`` in a word);
* ``mismatch``: anything else — a bug; the run lists them and the test suite has none.

Run from the repository root with MAESTRO_BIN set (MAESTRO 4eb08d1):
``MAESTRO_BIN=... python tests/golden/make_dataflow_fuzz.py [--cases 4000] [--seed 0]``.  It
prints the counts by category and mutation and writes a compact subset (every category ×
mutation, a few each) to tests/golden/dataflow_fuzz.json, which tests/test_dataflow_text.py
replays without MAESTRO.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from confuciux.dataflow import Dataflow, preset  # noqa: E402
from confuciux.dataflow.dimensions import maestro_layer  # noqa: E402
from confuciux.dataflow.presets import PRESETS  # noqa: E402
from confuciux.dataflow.program import RESERVED, is_name  # noqa: E402
from confuciux.dataflow.text import tokens  # noqa: E402
from confuciux.workload import Layer  # noqa: E402
from maestro_run import run_maestro  # noqa: E402

OUT = HERE / "dataflow_fuzz.json"
PER_GROUP = 3
CONV_DIMS = ("K", "C", "R", "S")


# -- base programs --------------------------------------------------------------------------
def genome(rng: random.Random) -> list[str]:
    """A random 1–3-level program: one SpatialMap a level, TemporalMaps for the rest in a
    random order; Y/X as sliding windows or output coordinates; R/S whole."""
    levels = rng.choice([1, 2, 2, 3])
    out: list[str] = []
    for lv in range(levels):
        if lv:
            out.append(f"Cluster({rng.choice([1, 2, 3, 4, 8])}, P);")
        dims = ["K", "C", "R", "S", "Y", "X"]
        rng.shuffle(dims)
        spatial = rng.choice([d for d in dims if d not in ("R", "S")])
        prime = rng.random() < 0.4
        for d in dims:
            kind = "SpatialMap" if d == spatial else "TemporalMap"
            if d in ("R", "S"):
                out.append(f"TemporalMap(Sz({d}),Sz({d})) {d};")
            elif d in ("Y", "X") and prime:
                t = rng.choice([1, 2, 4])
                out.append(f"{kind}({t},{t}) {d}';")
            elif d in ("Y", "X"):
                out.append(f"{kind}(Sz({'R' if d == 'Y' else 'S'}),1) {d};")
            else:
                t = rng.choice([1, 1, 2, 3, 4, 8, 16])
                out.append(f"{kind}({t},{t}) {d};")
    return out


def bases(rng: random.Random) -> tuple[str, list[str], bool]:
    """(name, program lines, is a GEMM program)."""
    if rng.random() < 0.5:
        name = rng.choice(list(PRESETS))
        df = preset(name).inline()
        return name, [d.text() for d in df.directives], name == "nmk"
    return "genome", genome(rng), False


# -- mutations: each takes and returns the text --------------------------------------------
_PIECES = re.compile(r"([ ,\-()>:\t;\n]+)")
BAD_NUMBERS = ["0", "00", "4abc", "+4", "3.5", "0x10", "1e3", "abc", "2147483647", "4294967300", "99999999999", "-1"]
BAD_DIMS = ["Q", "k", "Y’", "YY", "X''", "G", "N", "M", "Sz", "}", "{", "C}"]


def _words(text: str) -> list[str]:
    return _PIECES.split(text)


def m_delete(t: str, rng: random.Random) -> str:
    p = _words(t)
    idx = [i for i in range(0, len(p), 2) if p[i]]
    if idx:
        p[rng.choice(idx)] = ""
    return "".join(p)


def m_duplicate(t: str, rng: random.Random) -> str:
    p = _words(t)
    idx = [i for i in range(0, len(p), 2) if p[i]]
    if idx:
        i = rng.choice(idx)
        p[i] = p[i] + " " + p[i]
    return "".join(p)


def m_swap(t: str, rng: random.Random) -> str:
    p = _words(t)
    idx = [i for i in range(0, len(p) - 2, 2) if p[i] and p[i + 2]]
    if idx:
        i = rng.choice(idx)
        p[i], p[i + 2] = p[i + 2], p[i]
    return "".join(p)


def m_number(t: str, rng: random.Random) -> str:
    p = _words(t)
    idx = [i for i in range(0, len(p), 2) if p[i].isdigit()]
    if idx:
        p[rng.choice(idx)] = rng.choice(BAD_NUMBERS)
    return "".join(p)


def m_dim(t: str, rng: random.Random) -> str:
    p = _words(t)
    idx = [i for i in range(2, len(p), 2) if p[i] in ("K", "C", "R", "S", "Y", "X", "Y'", "X'", "M", "N") and p[i - 1].strip() == ")"]
    idx = idx or [i for i in range(0, len(p), 2) if p[i] in ("K", "C", "Y", "X", "M", "N")]
    if idx:
        p[rng.choice(idx)] = rng.choice(BAD_DIMS)
    return "".join(p)


def m_blanks(t: str, rng: random.Random) -> str:
    choice = rng.choice(["tabs", "crlf", "cr", "vtab", "collapse", "spaces", "arrows", "nl"])
    if choice == "tabs":
        return t.replace(" ", "\t")
    if choice == "crlf":
        return t.replace("\n", "\r\n")
    if choice == "cr":
        lines = t.split("\n")
        i = rng.randrange(len(lines))
        lines[i] += "\r"
        return "\n".join(lines)
    if choice == "vtab":
        return t.replace(" ", " \x0b", 1)
    if choice == "collapse":
        return t.replace("\n", " ")
    if choice == "spaces":
        return re.sub(r"([(),;])", r" \1 ", t)
    if choice == "arrows":
        return t.replace(",", "->", 3)
    return t.replace(";", ";\n\n")


def m_comment(t: str, rng: random.Random) -> str:
    choice = rng.choice(["line", "tail", "glued", "block", "inword"])
    lines = t.split("\n")
    i = rng.randrange(len(lines))
    if choice == "line":
        lines.insert(i, "// a comment; Cluster(2, P) ignored")
    elif choice == "tail":
        lines[i] += " // TemporalMap(1,1) K;"
    elif choice == "glued":
        lines[i] += "// no blank"
    elif choice == "block":
        lines.insert(i, "/* a block comment */")
    else:
        lines[i] = lines[i].replace("Map", "Map//", 1)
    return "\n".join(lines)


def m_brace(t: str, rng: random.Random) -> str:
    choice = rng.choice(["open", "close", "drop_close", "drop_wrapper", "extra_close", "after"])
    if choice == "open":
        return t.replace("Dataflow {", "Dataflow{", 1)
    if choice == "close":
        return re.sub(r";\s*\}\s*$", "}", t)
    if choice == "drop_close":
        return re.sub(r"\}\s*$", "", t)
    if choice == "drop_wrapper":
        return re.sub(r"\}\s*$", "", t.replace("Dataflow {", "", 1))
    if choice == "extra_close":
        return t.replace("Dataflow {", "Dataflow {\n}", 1)
    return t + " TemporalMap(1,1) K;"


def m_cluster(t: str, rng: random.Random) -> str:
    choice = rng.choice(["type", "lower", "none", "front", "back", "double", "sz"])
    if choice == "type":
        return t.replace(", P)", ", Q)", 1)
    if choice == "lower":
        return t.replace(", P)", ", p)", 1)
    if choice == "none":
        return re.sub(r"Cluster\((\w+), P\)", r"Cluster(\1)", t, count=1)
    if choice == "front":
        return t.replace("Dataflow {\n", "Dataflow {\nCluster(2, P);\n", 1)
    if choice == "back":
        return re.sub(r"\}\s*$", "Cluster(2, P);\n}", t)
    if choice == "double":
        return t.replace("Cluster(", "Cluster(2, P); Cluster(", 1)
    return t.replace("Cluster(", "Cluster(Sz(R), P); SpatialMap(1,1) K; Cluster(", 1)


def m_levels(t: str, rng: random.Random) -> str:
    extra = rng.choice([1, 2, 3, 4])
    body = "".join(f"Cluster(1, P);\nSpatialMap(1,1) {rng.choice(['K', 'C'])};\n" for _ in range(extra))
    return re.sub(r"\}\s*$", body + "}", t)


def m_spatial(t: str, rng: random.Random) -> str:
    p = t.split("\n")
    idx = [i for i, line in enumerate(p) if line.startswith("TemporalMap") or line.startswith("SpatialMap")]
    if idx:
        i = rng.choice(idx)
        p[i] = p[i].replace("TemporalMap", "SpatialMap") if "Temporal" in p[i] else p[i].replace("SpatialMap", "TemporalMap")
    return "\n".join(p)


def m_rs(t: str, rng: random.Random) -> str:
    choice = rng.choice(["tile", "offset", "num", "szq", "szn"])
    if choice == "tile":
        return t.replace("TemporalMap(Sz(R),Sz(R)) R", "TemporalMap(1,1) R", 1)
    if choice == "offset":
        return t.replace("TemporalMap(Sz(S),Sz(S)) S", "TemporalMap(Sz(S),1) S", 1)
    if choice == "num":
        return t.replace("TemporalMap(Sz(R),Sz(R)) R", "TemporalMap(3,3) R", 1)
    if choice == "szq":
        return t.replace("Sz(R)", "Sz(Q)", 1)
    return t.replace("Sz(R)", "Sz(N)", 1)


MUTATIONS = {f.__name__[2:]: f for f in (
    m_delete, m_duplicate, m_swap, m_number, m_dim, m_blanks, m_comment, m_brace, m_cluster, m_levels, m_spatial, m_rs,
)}  # fmt: skip


# -- one case --------------------------------------------------------------------------------
def random_layer(rng: random.Random, gemm: bool) -> Layer:
    if gemm:
        return Layer.gemm(rng.randint(1, 64), rng.randint(1, 64), rng.randint(1, 64))
    r, s = rng.randint(1, 5), rng.randint(1, 5)
    kind = rng.choice(["CONV", "CONV", "DSCONV"])
    k = 1 if kind == "DSCONV" else rng.randint(1, 64)
    return Layer(k, rng.randint(1, 64), r + rng.randint(0, 20), s + rng.randint(0, 20), r, s, kind)


def make_case(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    name, lines, gemm = bases(rng)
    wrapped = rng.random() < 0.7
    text = "\n".join(["Dataflow {", *lines, "}"] if wrapped else lines) + "\n"
    muts = [rng.choice(list(MUTATIONS)) for _ in range(rng.choice([1, 1, 2, 3]))]
    for m in muts:
        text = MUTATIONS[m](text, rng)
    layer = random_layer(rng, gemm)
    return {
        "seed": seed, "base": name, "mutations": muts, "text": text,
        "wrapped": next((w.text for w in tokens(text)), "") == "Dataflow",
        "layer": [layer.K, layer.C, layer.Y, layer.X, layer.R, layer.S, layer.kind],
        "pes": rng.choice([4, 16, 64, 256]), "ktile": rng.randint(1, 8),
    }  # fmt: skip


def layer_of(case: dict[str, Any]) -> Layer:
    k, c, y, x, r, s, kind = case["layer"]
    return Layer.gemm(y, k, c) if kind == "GEMM" else Layer(k, c, y, x, r, s, kind)


def ours(case: dict[str, Any]) -> tuple[bool, int, str]:
    """(accepted, line named, message) of parse + bind."""
    try:
        df = Dataflow.parse(case["text"])
        df.bind(layer_of(case), pes=case["pes"], buffers=case["ktile"])
    except ValueError as exc:
        m = re.search(r"line (\d+)", str(exc))
        return False, int(m.group(1)) if m else 0, str(exc)
    return True, 0, ""


def mapping(case: dict[str, Any]) -> tuple[str, int]:
    """(the mapping file MAESTRO runs, the file line of the text's first line)."""
    layer = layer_of(case)
    try:
        df = Dataflow.parse(case["text"])
    except ValueError:  # the layer as it would be written for the base program
        df = preset("nmk" if layer.kind == "GEMM" else "dla")
    kind, dims = maestro_layer(layer, df)
    head = [
        f"Constant KTileSz {case['ktile']};", "Constant CTileSz 1;", f"Constant ClusterSz {case['pes']};",
        "Network fuzz {", "Layer L {", f"Type: {kind}",
        "Dimensions { " + ", ".join(f"{k}: {v}" for k, v in dims.items()) + " }",
    ]  # fmt: skip
    if not case["wrapped"]:
        head.append("Dataflow {")
    tail = ([] if case["wrapped"] else ["}"]) + ["}", "}"]
    return "\n".join(head) + "\n" + case["text"] + ("" if case["text"].endswith("\n") else "\n") + "\n".join(tail) + "\n", len(head) + 1


def comment_lines_before(text: str, line: int) -> int:
    """Lines before ``line`` that hold a ``//`` comment by MAESTRO's word rule (it counts each twice)."""
    lines = text.split("\n")[: line - 1]
    return sum(any(w.startswith("//") for w in re.split(r"[ ,\->():\t;]+", s)) for s in lines)


def deliberate(case: dict[str, Any], message: str) -> bool:
    text = case["text"]
    return "32-bit int" in message or "\r\n" in text or text.endswith("\r")


# Our rules that fire before MAESTRO's parser notices anything (it takes any word as a dimension
# and refuses at the next word out of place, or only in its analysis)
EARLIER = (
    "unknown dimension", "names no dimension", "must be P or L", "levels", "SpatialMap", "32-bit", "not a size",
    "closes no",  # a bare text with a '}': in MAESTRO's file that brace closes the block we wrapped it in
)  # fmt: skip
DESIGN = {"KTileSz", "ClusterSz", "CTileSz"}


def free_name_on(text: str, line: int) -> bool:
    """Whether text line ``line`` holds an undeclared name: MAESTRO refuses it there (atoi = 0),
    we read it as a free constant and refuse it when binding, after any later parse error."""
    words = re.split(r"[ ,\->():\t;\r]+", text.split("\n")[line - 1]) if 0 < line <= text.count("\n") + 1 else []
    return any(is_name(w) and w not in DESIGN | RESERVED for w in words)


def text_line(text: str, file_line: int, offset: int) -> int:
    """The text line MAESTRO means by ``file_line`` (it counts a comment's line twice)."""
    for t in range(1, text.count("\n") + 2):
        if t + offset - 1 + comment_lines_before(text, t) >= file_line:
            return t
    return 0


def classify(case: dict[str, Any]) -> dict[str, Any]:
    accepted, line, message = ours(case)
    text, offset = mapping(case)
    run = run_maestro(text, case["pes"])
    case = dict(case, ours=[accepted, line, message[:200]], maestro=[run.status, run.line, run.message[-200:]])
    crlf = "\r\n" in case["text"] or case["text"].endswith("\r")
    if accepted and run.status == "ok":
        cat = "agree-accept"
    elif crlf and (accepted or run.status == "parse"):
        cat = "deliberate"  # MAESTRO keeps the \r of a CRLF line end in the last word
    elif not accepted and run.status == "parse":
        t = text_line(case["text"], run.line, offset)
        at_end = "never closed" in message or "ends inside" in message  # MAESTRO reads on into our wrapper
        same = line == 0 or run.line == 0 or t == line or at_end
        # a layer rule (Sz, R/S tiles) MAESTRO's parser checks at an earlier line: we check it when binding
        layer_rule = t < line and any(k in run.message for k in ("Invalid mapping", "Cannot find the dimension"))
        if same or layer_rule or any(e in message for e in EARLIER) or (t < line and free_name_on(case["text"], t)):
            cat = "agree-refuse"
        else:
            cat = "line-mismatch"
    elif not accepted and run.status in ("analysis", "crash"):
        cat = "early-refuse"
    elif accepted and run.status in ("analysis", "crash"):
        cat = "analysis"
    elif not accepted and "after the Dataflow block" in message:
        cat = "embedding"  # words after the block: in MAESTRO's file they fall to the layer and network
    else:
        cat = "deliberate" if deliberate(case, message if not accepted else "") else "mismatch"
    case["category"] = cat
    return case


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--all", type=Path, help="write every case here (JSON lines)")
    args = ap.parse_args()
    seeds = [args.seed * 1_000_000 + i for i in range(args.cases)]
    with ProcessPoolExecutor(2) as ex:
        cases = list(ex.map(classify, (make_case(s) for s in seeds), chunksize=16))
    counts = Counter(c["category"] for c in cases)
    print("categories:", dict(counts))
    by_mut: dict[str, Counter[str]] = defaultdict(Counter)
    for c in cases:
        for m in set(c["mutations"]):
            by_mut[m][c["category"]] += 1
    for m, cnt in sorted(by_mut.items()):
        print(f"  {m:10s}", dict(cnt))
    for c in cases:
        if c["category"] in ("mismatch", "line-mismatch"):
            print("MISMATCH", c["seed"], c["mutations"], c["ours"], c["maestro"], repr(c["text"][:300]))
    if args.all:
        args.all.write_text("".join(json.dumps(c) + "\n" for c in cases))
    # the golden subset: a few of every category x mutation, MAESTRO's verdict kept
    rng = random.Random(args.seed)
    chosen: dict[int, dict[str, Any]] = {}
    for cat in sorted(counts):
        for m in MUTATIONS:
            pool = [c for c in cases if c["category"] == cat and m in c["mutations"] and c["seed"] not in chosen]
            for c in rng.sample(pool, min(PER_GROUP, len(pool))):
                chosen[c["seed"]] = c
    golden = [
        {"seed": c["seed"], "mutations": c["mutations"], "text": c["text"], "layer": c["layer"], "pes": c["pes"],
         "ktile": c["ktile"], "category": c["category"], "accepted": c["ours"][0], "line": c["ours"][1],
         "maestro": c["maestro"][:2]}
        for c in sorted(chosen.values(), key=lambda c: c["seed"])
    ]  # fmt: skip
    OUT.write_text("[\n" + ",\n".join(json.dumps(g) for g in golden) + "\n]\n")
    print(f"wrote {len(golden)} cases to {OUT}")


if __name__ == "__main__":
    main()
