# The package metadata lives in pyproject.toml; setup.py only exists to hand the cffi
# build module to setuptools, so that `pip install .` compiles the cost-model kernel.
# The kernel is built against the stable ABI (cffi's default on CPython), so the wheel is
# tagged abi3 for every CPython >= 3.10 instead of one interpreter's tag.
from setuptools import setup

setup(
    cffi_modules=["csrc/build.py:ffibuilder"],
    options={"bdist_wheel": {"py_limited_api": "cp310"}},
)
