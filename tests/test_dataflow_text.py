"""confuciux.dataflow.text: MAESTRO's directive syntax read exactly as MAESTRO 4eb08d1 reads it,
and written back.

MAESTRO's verdicts come from three places: the rules below (each checked against MAESTRO while
writing them), the committed fuzz cases (tests/golden/dataflow_fuzz.json, made by
tests/golden/make_dataflow_fuzz.py against MAESTRO itself), and, when MAESTRO_BIN names a
MAESTRO binary, MAESTRO run here.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import confuciux.dataflow
from conftest import GOLDEN_DIR, reference_file
from confuciux.dataflow import Cluster, Dataflow, Spatial, Sz, preset
from confuciux.dataflow.program import DIMENSIONS, Map
from confuciux.dataflow.text import atoi, block_lines, tokens
from confuciux.formats.maestro import layer_block
from confuciux.workload import Layer
from maestro_run import maestro_bin, run_maestro

GOLDEN = Path(__file__).resolve().parent / "golden" / "dataflow_fuzz.json"

# ConfuciuX's dla as its dataflows/dla.m writes it: tabs, the wrapper, named sizes
DLA_TEXT = """Dataflow {
\t\t\tSpatialMap(KTileSz,KTileSz) K;
\t\t\tTemporalMap(ClusterSz,ClusterSz) C;
\t\t\tTemporalMap(Sz(R),Sz(R)) R;
\t\t\tTemporalMap(Sz(S),Sz(S)) S;
\t\t\tTemporalMap(Sz(R),1) Y;
\t\t\tTemporalMap(Sz(S),1) X;
\t\t\tCluster(ClusterSz, P);
\t\t\tSpatialMap(1,1) C;
\t\t\tTemporalMap(Sz(R),1) Y;
\t\t\tTemporalMap(Sz(S),1) X;
\t\t\tTemporalMap(Sz(R),Sz(R)) R;
\t\t\tTemporalMap(Sz(S),Sz(S)) S;
}
"""


def test_reads_confuciux_dla():
    df = Dataflow.parse(DLA_TEXT)
    assert df == preset("dla") and len(df.levels) == 2
    assert df.directives[0] == Spatial("K", "KTileSz") and df.directives[0].line == 2
    assert df.directives[6] == Cluster("ClusterSz") and df.directives[6].line == 8
    assert df.free_names == {"KTileSz", "ClusterSz"}


def test_wrapper_optional_and_layout_free():
    bare = "SpatialMap(1,1) K; Cluster(4, P); SpatialMap(1,1) C;"
    df = Dataflow([Spatial("K", 1), Cluster(4), Spatial("C", 1)])
    for text in (
        bare,
        "Dataflow { " + bare + " }",
        "Dataflow {\n" + bare.replace("; ", ";\n") + "\n}\n",
        "SpatialMap\n(1\n,\n1)\nK Cluster 4 P SpatialMap 1 1 C",  # brackets and punctuation are decoration
        "SpatialMap(1->1) K;;; Cluster(4:P) SpatialMap(1,1)\tC",
        "\ufeff" + bare,  # a byte-order mark
        bare.replace(";", ";\r\n"),  # CRLF line ends: our one leniency (MAESTRO keeps the \r)
    ):
        assert Dataflow.parse(text) == df, text


def test_comments_follow_maestros_word_rule():
    df = Dataflow([Spatial("K", 1), Spatial("C", 1)])
    assert Dataflow.parse("// head\nSpatialMap(1,1) K; // tail\n SpatialMap(1,1) C;//glued after ;") == df
    assert Dataflow.parse("SpatialMap(1,1) K;\n//SpatialMap(1,1) Y;\n SpatialMap(1,1) C;") == df
    # "C// x" is one word: the dimension "C//", which no layer has
    with pytest.raises(ValueError, match="line 1: SpatialMap\\(1,1\\) C//: unknown dimension 'C//'"):
        Dataflow.parse("SpatialMap(1,1) C// x")
    # no /* */ comments in MAESTRO
    with pytest.raises(ValueError, match="line 2: expected SpatialMap, TemporalMap, Cluster or '}', got '/\\*'"):
        Dataflow.parse("SpatialMap(1,1) K;\n/* c */ SpatialMap(1,1) C;")
    # errors name the true line (MAESTRO counts a comment's line twice)
    with pytest.raises(ValueError, match="<text>, line 4: "):
        Dataflow.parse("// a\n// b\nSpatialMap(1,1) K;\nSpatialMap(0,1) C;")


def test_atoi_quirks():
    assert [atoi(w) for w in ("4abc", "+4", "007", "abc", "", "\x0b5", "3.5", "0x10")] == [4, 4, 7, 0, 0, 5, 3, 0]
    assert Dataflow.parse("SpatialMap(4abc,+2) K;") == Dataflow([Spatial("K", 4, 2)])
    with pytest.raises(ValueError, match="does not fit MAESTRO's 32-bit int"):
        atoi("4294967300")  # MAESTRO would read 4: we refuse
    assert atoi("2147483647") == 2**31 - 1
    for word, shown in (("0", "'0'"), ("0x10", "'0x10'"), ("+", "'\\+'")):
        with pytest.raises(ValueError, match=f"line 1: SpatialMap: the size: {shown} is not a positive integer"):
            Dataflow.parse(f"SpatialMap({word},1) K;")


def test_constants():
    text = "Constant T 4;\nConstant U 8abc\nConstant 3 7;\nDataflow { SpatialMap(T,3) K; Cluster(U, L); SpatialMap(1,1) C; }"
    df = Dataflow.parse(text)
    # identifiers stay named, with their values; a constant named like a number is substituted (MAESTRO looks it up first)
    assert df == Dataflow([Spatial("K", "T", 7), Cluster("U", physical=False), Spatial("C", 1)], {"T": 4, "U": 8})
    assert Dataflow.parse(str(df)) == df
    # a declared constant may have a dimension's name; a bad value matters only where used
    assert Dataflow.parse("Constant K 2; Constant Z abc; SpatialMap(K,K) C;").constants == {"K": 2}
    with pytest.raises(ValueError, match="line 1: SpatialMap: the size: constant Z is 0"):
        Dataflow.parse("Constant Z abc; SpatialMap(Z,1) C;")
    with pytest.raises(ValueError, match="Constant T: '9999999999' does not fit"):
        Dataflow.parse("Constant T 9999999999; SpatialMap(T,1) C;")
    with pytest.raises(ValueError, match="the text ends inside Constant T, before its value"):
        Dataflow.parse("Constant T")


def test_free_names_and_sz():
    df = Dataflow.parse("SpatialMap(Sz(Sz(R)),MyTile) Y;")  # Sz repeated still means Sz(R)
    assert df == Dataflow([Spatial("Y", Sz("R"), "MyTile")]) and df.free_names == {"MyTile"}
    with pytest.raises(ValueError, match="'S' is not a size: a free constant cannot be named like a dimension.*Sz\\(S\\)"):
        Dataflow.parse("TemporalMap(S,S) S; SpatialMap(1,1) K;")
    with pytest.raises(ValueError, match="Sz\\(Q\\) names no dimension"):
        Dataflow.parse("SpatialMap(Sz(Q),1) K;")


@pytest.mark.parametrize(
    "text, match",
    [
        ("Dataflow{ SpatialMap(1,1) K; }", "line 1: expected SpatialMap.*'Dataflow\\{'.*a brace needs a blank"),
        ("Dataflow { SpatialMap(1,1) K}", "unknown dimension 'K}'.*a brace needs a blank"),
        ("Dataflow { SpatialMap(1,1) K;", "line 1: the Dataflow block is never closed"),
        ("Dataflow { SpatialMap(1,1) K; } SpatialMap(1,1) C;", "unexpected 'SpatialMap' after the Dataflow block"),
        ("SpatialMap(1,1) K; }", "a '}' closes no 'Dataflow \\{'"),
        ("Dataflow SpatialMap(1,1) K;", "expected '\\{' after 'Dataflow', got 'SpatialMap'"),
        ("SpatialMap(1,1) K;\nTemporalMap(1,1)", "line 2: the text ends inside TemporalMap\\(1,1\\), before its dimension"),
        ("SpatialMap(1,1) K;\nTemporalMap(1,1) Q;", "line 2: TemporalMap\\(1,1\\) Q: unknown dimension 'Q'"),
        ("SpatialMap(1,1) K; Cluster(4, Q); SpatialMap(1,1) C;", "Cluster\\(4, Q\\): the type must be P or L"),
        ("SpatialMap(1,1) K; Cluster(4) SpatialMap(1,1) C;", "Cluster\\(4, SpatialMap\\): the type must be P or L"),
        ("SpatialMap(1,1) K;\nTemporalMap(3,1) R;", "line 2: TemporalMap\\(3,1\\) R: the tile size of R \\(3\\) must equal"),
        ("Constant T 3;\nSpatialMap(1,1) K; TemporalMap(T,1) S;", "line 2: TemporalMap\\(T,1\\) S: the tile size of S \\(3\\)"),
        ("SpatialMap(1,1) K; Cluster(2, P);", "level 2 \\(from line 1 \\(Cluster\\(2, P\\)\\)\\) has no SpatialMap"),
        ("TemporalMap(1,1) K;", "level 1 .* has no SpatialMap"),
        ("", "level 1 \\(from the end of the program\\) has no SpatialMap"),
        ("SpatialMap(1,1) K; SpatialMap(1,1) C; SpatialMap(1,1) Y;", "has 3 SpatialMaps"),
        ("SpatialMap(1,1) K;" + " Cluster(1, P); SpatialMap(1,1) K;" * 4, "opens level 5"),
    ],
)
def test_refusals_name_the_line_and_rule(text, match):
    with pytest.raises(ValueError, match=match) as info:
        Dataflow.parse(text, source="my.m")
    assert str(info.value).startswith("my.m") and len(str(info.value)) < 400


def test_a_hostile_text_is_stopped_early():
    text = "SpatialMap(1,1) K;\n" + "TemporalMap(1,1) C;\n" * 1_000_000
    with pytest.raises(ValueError, match="line 1001: more than 1000 directives \\(MAX_DIRECTIVES\\)"):
        Dataflow.parse(text)
    with pytest.raises(ValueError, match="a program of 1001 directives: at most 1000"):
        Dataflow([Spatial("K", 1)] * 1001)


def test_errors_and_types():
    with pytest.raises(TypeError, match="takes a str"):
        Dataflow.parse(b"SpatialMap(1,1) K;")  # type: ignore[arg-type]
    assert [t.text for t in tokens("a,b->c(d):e\tf;g h//i;//j\nk")] == [*"abcdefg", "h//i", "k"]


def test_printing():
    df = preset("kcp_ws")
    text = str(df)
    assert text.startswith("Constant ClusterC 64;\nDataflow {\n  SpatialMap(1,1) K;\n")
    assert text.endswith("  TemporalMap(Sz(S),Sz(S)) S;\n}\n")
    assert block_lines(Dataflow([Spatial("Y'", Sz("R"), 1)]), "\t") == ["Dataflow {", "\tSpatialMap(Sz(R),1) Y';", "}"]


# -- round trips ------------------------------------------------------------------------------
_NAMES = st.sampled_from(["KTileSz", "ClusterSz", "CTileSz", "T", "tile_2", "Q"])
_SIZES = st.one_of(st.integers(1, 2**31 - 1), st.builds(Sz, st.sampled_from(DIMENSIONS)), _NAMES)


@st.composite
def programs(draw: st.DrawFn) -> Dataflow:
    levels = draw(st.integers(1, 4))
    out: list = []
    for lv in range(levels):
        if lv:
            out.append(Cluster(draw(_SIZES), draw(st.booleans())))
        n_spatial = draw(st.integers(1, 2))
        dims = draw(st.lists(st.sampled_from(DIMENSIONS), min_size=n_spatial, max_size=8))
        for i, d in enumerate(dims):
            size = draw(_SIZES)
            offset = size if d in ("R", "S") else draw(_SIZES)
            out.append(Map("spatial" if i < n_spatial else "temporal", d, size, offset))
    constants = draw(st.dictionaries(st.sampled_from(["T", "tile_2", "K", "P"]), st.integers(1, 2**31 - 1), max_size=3))
    return Dataflow(out, constants)


@settings(max_examples=100, deadline=None)
@given(programs())
def test_parse_of_str_is_the_program(df):
    text = str(df)
    assert Dataflow.parse(text) == df
    back = Dataflow.parse("\n".join(line for line in text.splitlines() if not line.startswith("Constant")))
    assert back.directives == df.directives  # the block alone: the same directives, names free
    assert eval(repr(df), vars(confuciux.dataflow)) == df  # noqa: S307 (the repr is the builder)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("SpatialMapTemporalCluster(Sz),;{}PL 0123456789KCRSYX'/\n\t\r")), max_size=120))
def test_any_text_is_a_program_or_a_value_error(text):
    try:
        df = Dataflow.parse(text)
    except ValueError as exc:
        assert "<text>" in str(exc)
    else:
        assert Dataflow.parse(str(df)) == df


# -- MAESTRO's verdicts ------------------------------------------------------------------------
def _golden() -> list[dict]:
    return json.loads(GOLDEN.read_text())


def _layer(spec: list) -> Layer:
    k, c, y, x, r, s, kind = spec
    return Layer.gemm(y, k, c) if kind == "GEMM" else Layer(k, c, y, x, r, s, kind)


def test_fuzz_cases_against_maestro():
    """Replay the committed fuzz cases: we accept exactly what MAESTRO accepted (but where we
    part on purpose, ``deliberate``) and name the same line we did when they were made."""
    cases = _golden()
    assert len(cases) > 100 and {c["category"] for c in cases} >= {"agree-accept", "agree-refuse", "early-refuse"}
    assert not [c for c in cases if c["category"] in ("mismatch", "line-mismatch")]
    for c in cases:
        try:
            Dataflow.parse(c["text"]).bind(_layer(c["layer"]), pes=c["pes"], buffers=c["ktile"])
            accepted, line = True, 0
        except ValueError as exc:
            accepted = False
            found = re.search(r"line (\d+)", str(exc))
            line = int(found.group(1)) if found else 0
        assert (accepted, line) == (c["accepted"], c["line"]), c["seed"]
        maestro_ok = c["maestro"][0] == "ok"
        if c["category"] in ("agree-accept", "agree-refuse"):
            assert accepted == maestro_ok, c["seed"]
        if c["category"] == "early-refuse":  # MAESTRO's parser passed it; its analysis refused or died
            assert not accepted and c["maestro"][0] in ("analysis", "crash")


def test_printed_programs_run_the_same_in_maestro():
    """str(df) in a mapping file gives the same MAESTRO output as the text it was read from."""
    binary = maestro_bin()
    rng = random.Random(0)
    layer = Layer(24, 16, 18, 14, 3, 3)
    texts = [p.replace(" ", "  ").replace(";", " ;") for p in (str(preset(n).inline()) for n in ("dla", "shi", "eye"))]
    texts += [c["text"] for c in rng.sample([c for c in _golden() if c["category"] == "agree-accept"], 12)]
    for text in texts:
        df = Dataflow.parse(text)
        if next(tokens(text)).text != "Dataflow":
            text = "Dataflow {\n" + text + "\n}"
        head = "Constant KTileSz 3;\nConstant ClusterSz 8;\nConstant CTileSz 1;\nNetwork n {\n"
        body = "\n".join(layer_block(layer, 0, Dataflow([Spatial("K", 1)])))
        original = head + body.replace("    Dataflow {\n      SpatialMap(1,1) K;\n    }", text) + "\n}\n"
        printed = head + "\n".join(layer_block(layer, 0, df)) + "\n}\n"
        a, b = run_maestro(original, 64, binary), run_maestro(printed, 64, binary)
        assert a.status == b.status and a.rows == b.rows, text


def _check_directive_rows(rows: list[dict[str, str]]) -> None:
    """We bind the dataflows MAESTRO's parser took, and refuse those it refused (its "Invalid
    mapping" rows) naming its line."""
    refused = 0
    for r in rows:
        n, k, c, y, x, rr, s = (int(r[key]) for key in ("N", "K", "C", "Y", "X", "R", "S"))
        # the Dimensions the row's file gave MAESTRO (some layers are no convolution a Layer holds)
        dims = dict(K=k, C=c, R=rr, S=s, Y=y, X=x) | ({"N": n} if n != 1 else {})
        layer = {"M": y, "N": k, "K": c} if r["type"] == "GEMM" else dims
        stride = (int(r["stride_y"]), int(r["stride_x"]))
        text = "\n".join(r["dataflow"].split(" | "))
        parser_refused = "Invalid mapping" in r["msg"] or "Parse error" in r["msg"]
        try:
            Dataflow.parse(text).bind(layer, pes=int(r["num_pes"]))
        except ValueError as exc:
            assert parser_refused, (r["dataflow"], str(exc))
            # the block starts on line 6 of MAESTRO's file (7 after a Stride line): the same directive
            line = int(r["msg"].split("line number: ")[1].split(" ")[0]) - 5 - (stride != (1, 1))
            assert f"line {line} " in str(exc), (str(exc), r["msg"])
            refused += 1
            continue
        assert not parser_refused, r["dataflow"]
    assert refused == sum("Invalid mapping" in r["msg"] for r in rows) > 100


def test_maestro_directives_golden():
    """tests/golden/maestro_directives_golden.csv: every dataflow of the table MAESTRO's parser
    refused, and a sample of the others (tests/golden/make_golden_dataflows.py)."""
    with open(GOLDEN_DIR / "maestro_directives_golden.csv", newline="") as f:
        _check_directive_rows(list(csv.DictReader(f)))


@pytest.mark.reference
def test_maestro_directives_table():
    """Every dataflow of ../shared/reference/maestro_directives.csv.gz."""
    path = reference_file("maestro_directives.csv.gz", "10,000 dataflows given to MAESTRO's parser")
    with gzip.open(path, "rt", newline="") as f:
        _check_directive_rows(list(csv.DictReader(f)))
