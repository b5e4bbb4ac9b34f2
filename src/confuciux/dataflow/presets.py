"""Named dataflows, in one table: ConfuciuX's four and the families of MAESTRO's shipped mappings.

Each preset is MAESTRO text written here from the family's documented directives (MAESTRO's
``data/mapping/*_<family>.m`` files and ``tools/frontend/dataflow/*.m``).  Where a shipped file
hard-codes a size for its own layers, the preset says ``Sz(R)``/``Sz(S)`` (a filter mapped whole)
or names the size with a documented default (a ``Constant`` line; bind ``constants=`` to change
it), so that the preset applies to any layer.  ``KTileSz``, ``ClusterSz`` and ``CTileSz`` are the
design's (buffers, PEs, 1); see :mod:`.bind`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .program import Dataflow, Temporal

__all__ = ["PresetEntry", "PRESETS", "CONFUCIUX", "preset", "names"]


@dataclass(frozen=True)
class PresetEntry:
    """A named dataflow: ``text`` (MAESTRO syntax, the one source), what it is
    (``description``: what stays in the PEs, what is parallel), the layer ``kinds`` it is
    written for and where it comes from (``origin``).  ``group_first``: on a grouped layer the
    program first steps through the groups one at a time (``TemporalMap(1,1) G``), as MAESTRO's
    shipped ResNeXt files write every family; ConfuciuX's programs map no G."""

    name: str
    description: str
    kinds: tuple[str, ...]
    origin: str
    text: str
    group_first: bool = True

    @property
    def dataflow(self) -> Dataflow:
        return _parsed(self.name, False)


_CONV = ("CONV", "TRCONV")

PRESETS: dict[str, PresetEntry] = {p.name: p for p in (
    PresetEntry(
        "dla", "NVDLA-style weight stationary: KTileSz filters a cluster across clusters, the cluster's PEs split the "
        "channels (one channel each)", (*_CONV, "GEMM"), "ConfuciuX", """
SpatialMap(KTileSz,KTileSz) K;
TemporalMap(ClusterSz,ClusterSz) C;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(ClusterSz, P);
SpatialMap(1,1) C;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
""", group_first=False),
    PresetEntry(
        "shi", "ShiDianNao-style output stationary: output columns X' across the PEs, KTileSz filters and CTileSz "
        "channels a step", (*_CONV, "GEMM"), "ConfuciuX", """
TemporalMap(KTileSz,KTileSz) K;
SpatialMap(Sz(R),Sz(R)) Y';
TemporalMap(ClusterSz,ClusterSz) X';
TemporalMap(CTileSz,CTileSz) C;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
Cluster(ClusterSz, P);
TemporalMap(1,1) C;
TemporalMap(1,1) Y';
SpatialMap(1,1) X';
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
""", group_first=False),
    PresetEntry(
        "eye", "Eyeriss-style row stationary: output rows Y' across the PEs, each PE a row of outputs; KTileSz "
        "filters and CTileSz channels a step", (*_CONV, "GEMM"), "ConfuciuX", """
TemporalMap(CTileSz,CTileSz) C;
TemporalMap(KTileSz,KTileSz) K;
SpatialMap(ClusterSz,ClusterSz) Y';
TemporalMap(Sz(S),Sz(S)) X';
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
Cluster(ClusterSz, P);
TemporalMap(1,1) C;
SpatialMap(1,1) Y';
SpatialMap(1,1) X';
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
""", group_first=False),
    PresetEntry(
        "dpt", "depthwise: KTileSz channels a PE across the PEs, each filter stationary while its window slides",
        ("DSCONV",), "ConfuciuX", """
SpatialMap(KTileSz,KTileSz) C;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
""", group_first=False),
    PresetEntry(
        "kcp_ws", "weight stationary, NVDLA-like: one filter a cluster across clusters (K), one channel a PE within "
        "(C); clusters of ClusterC PEs (64)", _CONV, "MAESTRO data/mapping/*_kcp_ws.m", """
Constant ClusterC 64;
SpatialMap(1,1) K;
TemporalMap(ClusterC,ClusterC) C;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
Cluster(ClusterC, P);
SpatialMap(1,1) C;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
"""),
    PresetEntry(
        "xp_ws", "weight stationary: input columns across the PEs (one S-wide window each, sliding by 1); one filter "
        "and one channel at a time; one level", _CONV, "MAESTRO data/mapping/*_xp_ws.m", """
TemporalMap(1,1) K;
TemporalMap(1,1) C;
TemporalMap(Sz(R),1) Y;
SpatialMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
"""),
    PresetEntry(
        "yxp_os", "output stationary: output rows across clusters (an R-row window each), ClusterX output columns "
        "(8) across a cluster's PEs; one filter and one channel at a time", _CONV,
        "MAESTRO data/mapping/*_yxp_os.m", """
Constant ClusterX 8;
TemporalMap(1,1) K;
TemporalMap(1,1) C;
SpatialMap(Sz(R),1) Y;
TemporalMap(ClusterX,ClusterX) X';
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
Cluster(ClusterX, P);
SpatialMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
"""),
    PresetEntry(
        "ykp_os", "output stationary: output rows across clusters (an R-row window each), ClusterK filters (16) "
        "across a cluster's PEs; one channel at a time", _CONV, "MAESTRO data/mapping/*_ykp_os.m", """
Constant ClusterK 16;
TemporalMap(ClusterK,ClusterK) K;
SpatialMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
TemporalMap(1,1) C;
Cluster(ClusterK, P);
SpatialMap(1,1) K;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
"""),
    PresetEntry(
        "rs", "Eyeriss row stationary: output rows across clusters of R PEs, each PE one filter row (R) and input "
        "row (Y); TileK filters (16) a step", _CONV, "MAESTRO tools/frontend/dataflow/rs.m, data/mapping/*_rs.m", """
Constant TileK 16;
SpatialMap(1,1) Y';
TemporalMap(1,1) X';
TemporalMap(1,1) C;
TemporalMap(TileK,TileK) K;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
Cluster(Sz(R), P);
SpatialMap(1,1) Y;
SpatialMap(1,1) R;
TemporalMap(Sz(S),Sz(S)) S;
"""),
    PresetEntry(
        "nlr", "no local reuse: channels across the PEs, nothing kept in a PE between steps; one filter at a time; "
        "one level", _CONV, "MAESTRO data/mapping/*_nlr.m", """
TemporalMap(1,1) K;
TemporalMap(Sz(R),1) Y;
TemporalMap(Sz(S),1) X;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
SpatialMap(1,1) C;
"""),
    PresetEntry(
        "ckp_ws", "weight stationary: one channel a cluster across clusters (C), ClusterK filters (64) across a "
        "cluster's PEs; one output pixel at a time", _CONV, "MAESTRO data/mapping/vgg16_ckp_ws.m", """
Constant ClusterK 64;
SpatialMap(1,1) C;
TemporalMap(ClusterK,ClusterK) K;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
TemporalMap(1,1) Y';
TemporalMap(1,1) X';
Cluster(ClusterK, P);
SpatialMap(1,1) K;
TemporalMap(Sz(R),Sz(R)) R;
TemporalMap(Sz(S),Sz(S)) S;
"""),
    PresetEntry(
        "nmk", "GEMM: MTileSz rows of A (1) a cluster across clusters, the K reduction across a cluster's KTileSz "
        "PEs (100); NTileSz columns of B (1) a step", ("GEMM",), "MAESTRO data/mapping/gnmt_nmk.m, ncf_nmk.m", """
Constant MTileSz 1;
Constant NTileSz 1;
Constant KTileSz 100;
TemporalMap(NTileSz,NTileSz) N;
SpatialMap(MTileSz,MTileSz) M;
TemporalMap(KTileSz,KTileSz) K;
Cluster(KTileSz, P);
TemporalMap(NTileSz,NTileSz) N;
TemporalMap(MTileSz,MTileSz) M;
SpatialMap(1,1) K;
""", group_first=False),
)}  # fmt: skip

#: ConfuciuX's dataflows: the three a caller chooses for CONV and GEMM layers, and ``dpt``, which
#: ConfuciuX runs for every depthwise layer.
CONFUCIUX: tuple[str, ...] = ("dla", "shi", "eye", "dpt")


@cache
def _parsed(name: str, grouped: bool) -> Dataflow:
    df = Dataflow.parse(PRESETS[name].text, f"preset {name!r}")
    if grouped and PRESETS[name].group_first:
        return Dataflow([Temporal("G", 1), *df.directives], df.constants)
    return df


def names() -> tuple[str, ...]:
    """Every preset's name, in table order."""
    return tuple(PRESETS)


def preset(name: str, grouped: bool = False) -> Dataflow:
    """The preset ``name`` (case-insensitive), or a ValueError listing the names; ``grouped``:
    the form for a grouped layer (see :attr:`PresetEntry.group_first`)."""
    key = name.lower() if isinstance(name, str) else ""
    if key not in PRESETS:
        raise ValueError(f"unknown dataflow preset {name!r}; expected one of {', '.join(PRESETS)}")
    return _parsed(key, bool(grouped))
