#!/usr/bin/env bash
# Builds the cost-model kernel and the general engine under AddressSanitizer and
# UndefinedBehaviorSanitizer and runs (1) tests/kernel_stress.c and tests/kernel_stress_engine.c,
# adversarial input straight into the C APIs, and (2) the Python kernel tests (cost model,
# general engine, LSTM, frontier DP step, mapping search arithmetic) against a sanitized build of the cffi extension.  Any
# finding aborts non-zero.
# Usage: bash tests/sanitize.sh [python]   (python: the interpreter with confuciux's deps)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${1:-python}
cc=${CC:-gcc}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-std=gnu99 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined
       -fno-sanitize-recover=all -ffp-contract=off -Wall -Wextra -Werror)

"$cc" "${flags[@]}" -I"$root/csrc" "$root/tests/kernel_stress.c" "$root/csrc/cost_model.c" -lm -o "$work/stress"
"$work/stress"
"$cc" "${flags[@]}" -I"$root/csrc" "$root/tests/kernel_stress_engine.c" "$root/csrc/engine.c" "$root/csrc/cost_model.c" \
    -lm -o "$work/stress_engine"
"$work/stress_engine"

# A private copy of the package whose extension is built with the sanitizers (cffi compiles
# inside its tmpdir, where the relative csrc/ paths of csrc/build.py must resolve too).
cp -r "$root/src/confuciux" "$root/csrc" "$work/"
rm -f "$work"/confuciux/_cost_model*.so
(cd "$root" && CFLAGS="${flags[*]}" LDFLAGS="-fsanitize=address,undefined" \
    "$python" -c "
import sys; sys.argv = ['build']
sys.path.insert(0, 'csrc')
from build import ffibuilder
ffibuilder.compile(tmpdir='$work', verbose=False)
")
asan=$("$cc" -print-file-name=libasan.so)
ubsan=$("$cc" -print-file-name=libubsan.so)
cd "$work"
LD_PRELOAD="$asan $ubsan" ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1 \
    PYTHONPATH="$work" "$python" -m pytest -q -p no:cacheprovider -o addopts="" \
    "$root/tests/test_cost_backends.py" "$root/tests/test_cost_golden.py" "$root/tests/test_cost_native.py" \
    "$root/tests/test_cost_schema.py" "$root/tests/test_hardware.py" "$root/tests/test_search_lstm.py" \
    "$root/tests/test_cost_engine_presets.py" "$root/tests/test_cost_engine_native.py" \
    "$root/tests/test_search_frontier.py" "$root/tests/test_pareto.py" "$root/tests/test_mapping_native.py" \
    "$root/tests/test_mapping_screen.py" "$root/tests/test_mapping_seeds.py" "$root/tests/test_mapping_genome.py" \
    -k "not full_reference" \
    --rootdir "$root" -W ignore::DeprecationWarning
LD_PRELOAD="$asan $ubsan" ASAN_OPTIONS=detect_leaks=0 PYTHONPATH="$work" "$python" - <<PY
import confuciux, confuciux._cost_model as m
assert confuciux.BACKEND == "c" and m.__file__.startswith("$work"), m.__file__
print("sanitized extension in use:", m.__file__)
PY
