# The package metadata lives in pyproject.toml; setup.py only exists to hand the cffi
# build module to setuptools, so that `pip install .` compiles the cost-model kernel.
from setuptools import setup

setup(cffi_modules=["csrc/build.py:ffibuilder"])
