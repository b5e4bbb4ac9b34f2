"""CNN architectures as lists of layers, recorded the way ConfuciuX records them.

A :class:`_Net` walks the architecture in forward order, tracking feature-map sizes through
convolutions and pooling (torchvision's arithmetic) and recording each convolution with its
input size.  Each architecture below is its stage table plus a few lines of wiring.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

from ..workload import Layer

Size = tuple[int, int, int]  # channels, height, width


def _check_int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def _check_width(value: object, allowed: tuple[float, ...] | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < float(value) <= 8:
        raise ValueError(f"width must be a number in (0, 8], got {value!r}")
    if allowed is not None and float(value) not in allowed:
        raise ValueError(f"width must be one of {allowed}, got {value!r}")
    return float(value)


#: How a model is recorded: ConfuciuX's way (its CSV files) or as the network really is.
RECORDS = ("confuciux", "network")


@dataclass
class _Net:
    name: str
    record: str = "confuciux"
    layers: list[Layer] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.record not in RECORDS:
            raise ValueError(f"record must be one of {RECORDS}, got {self.record!r}")

    def conv(self, x: Size, out: int, k: int, s: int = 1, p: int | None = None, dw: bool = False, g: int = 1) -> Size:
        """Record a k×k convolution of input ``x`` (padding k//2 unless given, ``g`` groups);
        return its output."""
        c, h, w = x
        p = k // 2 if p is None else p
        oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        real = self.record == "network"
        if oh < 1 or ow < 1 or (not real and (h < k or w < k)):
            raise ValueError(
                f"{self.name}: the input resolution is too small — layer {len(self.layers)} "
                f"gets a {h}x{w} input for a {k}x{k} kernel"
            )
        name = f"{self.name}.{len(self.layers)}"
        if real:  # the padded input, the stride and the groups of the real layer
            layer = Layer.conv(c, c if dw else out, h, w, k, stride=s, padding=p, depthwise=dw, groups=g, name=name)
        else:  # ConfuciuX: the unpadded input, no stride, all channels
            layer = Layer(K=1 if dw else out, C=c, Y=h, X=w, R=k, S=k, kind="DSCONV" if dw else "CONV", name=name)
        self.layers.append(layer)
        return (c if dw else out), oh, ow

    def fc(self, features: int, out: int) -> None:
        """A fully connected layer: a GEMM in the network record (ConfuciuX leaves them out)."""
        if self.record == "network":
            self.layers.append(Layer.gemm(1, out, features, name=f"{self.name}.{len(self.layers)}"))

    def classifier(self, *sizes: int) -> None:
        for a, b in zip(sizes, sizes[1:], strict=False):
            self.fc(a, b)

    @staticmethod
    def pool(x: Size, k: int, s: int, p: int = 0, ceil: bool = False) -> Size:
        """Max/avg pooling output size (torchvision's formula, ceil_mode included)."""
        c, h, w = x

        def one(n: int) -> int:
            if ceil:
                o = math.ceil((n + 2 * p - k) / s) + 1
                return o - 1 if (o - 1) * s >= n + p else o
            return (n + 2 * p - k) // s + 1

        return c, max(one(h), 1), max(one(w), 1)


def _input(resolution: object, channels: int = 3) -> Size:
    r = _check_int("resolution", resolution, 8)
    return channels, r, r


def alexnet(resolution: int = 224, record: str = "confuciux") -> list[Layer]:
    net, x = _Net("alexnet", record), _input(resolution)
    x = net.pool(net.conv(x, 64, 11, s=4, p=2), 3, 2)
    x = net.pool(net.conv(x, 192, 5), 3, 2)
    for out in (384, 256, 256):
        x = net.conv(x, out, 3)
    net.classifier(256 * 6 * 6, 4096, 4096, 1000)  # after adaptive pooling to 6×6
    return net.layers


def vgg16(resolution: int = 224, record: str = "confuciux") -> list[Layer]:
    net, x = _Net("vgg16", record), _input(resolution)
    for out, n in ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)):
        for _ in range(n):
            x = net.conv(x, out, 3)
        x = net.pool(x, 2, 2)
    net.classifier(512 * 7 * 7, 4096, 4096, 1000)  # after adaptive pooling to 7×7
    return net.layers


def _resnet(
    name: str, resolution: int, record: str, blocks: tuple[int, ...], bottleneck: bool, groups: int = 1,
    base_width: int = 64,
) -> list[Layer]:  # fmt: skip
    net, x = _Net(name, record), _input(resolution)
    x = net.pool(net.conv(x, 64, 7, s=2), 3, 2, p=1)
    for stage, (planes, n) in enumerate(zip((64, 128, 256, 512), blocks, strict=False)):
        for b in range(n):
            s = 2 if stage > 0 and b == 0 else 1
            out = planes * (4 if bottleneck else 1)
            if bottleneck:
                # torchvision v1.5: the stride sits on the 3×3, which is `groups`-way grouped;
                # ConfuciuX records it ungrouped, with all `width` channels as C
                width = planes * base_width // 64 * groups
                y = net.conv(x, width, 1)
                y = net.conv(y, width, 3, s=s, g=groups if record == "network" else 1)
                y = net.conv(y, out, 1)
            else:
                y = net.conv(net.conv(x, planes, 3, s=s), planes, 3)
            if s != 1 or x[0] != out:
                net.conv(x, out, 1, s=s)  # the shortcut's projection runs after the main path
            x = y
    net.fc(x[0], 1000)
    return net.layers


def resnet18(resolution: int = 224, record: str = "confuciux") -> list[Layer]:
    return _resnet("resnet18", resolution, record, (2, 2, 2, 2), bottleneck=False)


def resnet50(resolution: int = 224, record: str = "confuciux") -> list[Layer]:
    return _resnet("resnet50", resolution, record, (3, 4, 6, 3), bottleneck=True)


def resnext50_32x4d(resolution: int = 224, record: str = "confuciux") -> list[Layer]:
    return _resnet("resnext50_32x4d", resolution, record, (3, 4, 6, 3), bottleneck=True, groups=32, base_width=4)


def wide_resnet50(resolution: int = 224, record: str = "confuciux") -> list[Layer]:
    return _resnet("wide_resnet50", resolution, record, (3, 4, 6, 3), bottleneck=True, base_width=128)


# Inception modules: (1×1, 3×3 reduce, 3×3, "5×5" reduce, "5×5" (a 3×3 in torchvision), pool proj)
_INCEPTION = {
    "3a": (64, 96, 128, 16, 32, 32), "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64), "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64), "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128), "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}  # fmt: skip


def googlenet(resolution: int = 224, record: str = "confuciux") -> list[Layer]:
    net, x = _Net("googlenet", record), _input(resolution)
    x = net.pool(net.conv(x, 64, 7, s=2), 3, 2, ceil=True)
    x = net.pool(net.conv(net.conv(x, 64, 1), 192, 3), 3, 2, ceil=True)
    for block, (b1, r3, c3, r5, c5, pp) in _INCEPTION.items():
        net.conv(x, b1, 1)
        net.conv(net.conv(x, r3, 1), c3, 3)
        net.conv(net.conv(x, r5, 1), c5, 3)
        net.conv(x, pp, 1)  # after a 3×3 stride-1 max pool: same size
        x = (b1 + c3 + c5 + pp, x[1], x[2])
        if block in ("4a", "4d") and record == "confuciux":
            net.conv((x[0], 4, 4), 128, 1)  # training mode's auxiliary head, adaptive pooling to 4×4
        if block in ("3b", "4e"):
            x = net.pool(x, 3 if block == "3b" else 2, 2, ceil=True)
    net.fc(x[0], 1000)
    return net.layers


def densenet(resolution: int = 224, record: str = "confuciux") -> list[Layer]:
    """DenseNet-161: growth 48, bottleneck 4×48, blocks of 6, 12, 36, 24 layers."""
    growth, bottleneck = 48, 4 * 48
    net, x = _Net("densenet", record), _input(resolution)
    x = net.pool(net.conv(x, 96, 7, s=2), 3, 2, p=1)
    for i, n in enumerate((6, 12, 36, 24)):
        for _ in range(n):
            net.conv(net.conv(x, bottleneck, 1), growth, 3)
            x = (x[0] + growth, x[1], x[2])
        if i < 3:
            x = net.pool(net.conv(x, x[0] // 2, 1), 2, 2)
    net.fc(x[0], 1000)
    return net.layers


def squeezenet(resolution: int = 224, record: str = "confuciux") -> list[Layer]:
    """SqueezeNet 1.0."""
    fires: list[tuple[int, int] | str] = [
        (16, 64), (16, 64), (32, 128), "pool", (32, 128), (48, 192), (48, 192), (64, 256), "pool", (64, 256),
    ]  # fmt: skip
    net, x = _Net("squeezenet", record), _input(resolution)
    x = net.pool(net.conv(x, 96, 7, s=2, p=0), 3, 2, ceil=True)
    for f in fires:
        if isinstance(f, str):  # "pool"
            x = net.pool(x, 3, 2, ceil=True)
            continue
        squeeze, expand = f
        s = net.conv(x, squeeze, 1)
        net.conv(s, expand, 1)
        net.conv(s, expand, 3)
        x = (2 * expand, s[1], s[2])
    net.conv(x, 1000, 1)  # the classifier is a 1×1 convolution
    return net.layers


def _divisible(v: float, divisor: int = 8, bias: float = 0.9) -> int:
    """Round channel counts to multiples of 8, never losing more than 10 % (torchvision's rule)."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < bias * v else new


def _inverted_residual(net: _Net, x: Size, out: int, k: int, s: int, expand: float) -> Size:
    hidden = int(round(x[0] * expand))
    y = net.conv(x, hidden, 1) if expand != 1 else x
    y = net.conv(y, hidden, k, s=s, dw=True)
    return net.conv(y, out, 1)


def mobilenet_v2(resolution: int = 224, width: float = 1.0, record: str = "confuciux") -> list[Layer]:
    # (expansion t, channels c, repeats n, stride s)
    stages = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
    wm = _check_width(width)
    net, x = _Net("mobilenet_v2", record), _input(resolution)
    x = net.conv(x, _divisible(32 * wm), 3, s=2)
    for t, c, n, s in stages:
        for i in range(n):
            x = _inverted_residual(net, x, _divisible(c * wm), 3, s if i == 0 else 1, t)
    last = _divisible(1280 * max(1.0, wm))
    net.conv(x, last, 1)
    net.fc(last, 1000)
    return net.layers


def mnasnet(resolution: int = 224, width: float = 1.0, record: str = "confuciux") -> list[Layer]:
    """MnasNet-A1 as torchvision's mnasnet (depth multiplier ``width``)."""
    wm = _check_width(width)
    d = [_divisible(c * wm) for c in (32, 16, 24, 40, 80, 96, 192, 320)]
    # (out, kernel, stride, expansion, repeats)
    stacks = (
        (d[2], 3, 2, 3, 3), (d[3], 5, 2, 3, 3), (d[4], 5, 2, 6, 3),
        (d[5], 3, 1, 6, 2), (d[6], 5, 2, 6, 4), (d[7], 3, 1, 6, 1),
    )  # fmt: skip
    net, x = _Net("mnasnet", record), _input(resolution)
    x = net.conv(x, d[0], 3, s=2)
    x = net.conv(net.conv(x, d[0], 3, dw=True), d[1], 1)
    for out, k, s, t, n in stacks:
        for i in range(n):
            x = _inverted_residual(net, x, out, k, s if i == 0 else 1, t)
    net.conv(x, 1280, 1)
    net.fc(1280, 1000)
    return net.layers


_SHUFFLE_CHANNELS = {
    0.5: (24, 48, 96, 192, 1024), 1.0: (24, 116, 232, 464, 1024), 1.5: (24, 176, 352, 704, 1024),
    2.0: (24, 244, 488, 976, 2048),
}  # fmt: skip


def shufflenet_v2(resolution: int = 224, width: float = 1.0, record: str = "confuciux") -> list[Layer]:
    channels = _SHUFFLE_CHANNELS[_check_width(width, tuple(_SHUFFLE_CHANNELS))]
    net, x = _Net("shufflenet_v2", record), _input(resolution)
    x = net.pool(net.conv(x, channels[0], 3, s=2), 3, 2, p=1)
    for out, repeats in zip(channels[1:4], (4, 8, 4), strict=False):
        half = out // 2
        for i in range(repeats):
            if i == 0:  # stride 2: both branches see the whole input
                net.conv(net.conv(x, x[0], 3, s=2, dw=True), half, 1)
                y = net.conv(net.conv(x, half, 1), half, 3, s=2, dw=True)
            else:  # stride 1: the input is split, one half passes through
                y = net.conv(net.conv((half, x[1], x[2]), half, 1), half, 3, dw=True)
            y = net.conv(y, half, 1)
            x = (out, y[1], y[2])
    net.conv(x, channels[4], 1)
    net.fc(channels[4], 1000)
    return net.layers


def example(resolution: int = 56, record: str = "confuciux") -> list[Layer]:
    """ConfuciuX's two-layer example: two 3×3 convolutions, 32 → 64 → 128 channels."""
    net, x = _Net("example", record), _input(resolution, channels=32)
    net.conv(net.conv(x, 64, 3), 128, 3)
    return net.layers
