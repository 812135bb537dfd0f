#!/usr/bin/env bash
# Regenerates the bundled example from the generator in crates/testgen.
# The example is synthetic (see its README.txt); it is committed so the quick
# start works without generating anything.
set -euo pipefail
cd "$(dirname "$0")/.."
out=examples/proxylogon-compromised
rm -rf "$out"
cargo run -q --release -p exhunt-testgen -- example "$out"
echo "wrote $out"
