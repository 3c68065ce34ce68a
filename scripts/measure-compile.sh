#!/usr/bin/env bash
# Prints the compile-time figures of the README: a cold release build of the
# generated R4 crate (wall time, peak memory), then of each US Core crate on
# top of it (release and debug), and the release rebuild of a small consumer
# binary after an edit of its main.rs (what users feel most).
# Usage: scripts/measure-compile.sh   (takes a few minutes; uses a scratch target)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export CARGO_TARGET_DIR="$scratch/target"

measure() { # label, command...
  local label=$1; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "$label: %e s wall, peak RSS %M KB" "$@" >/dev/null 2>"$scratch/time" || { cat "$scratch/time"; exit 1; }
    tail -n 1 "$scratch/time"
  else
    local start=$SECONDS; "$@" >/dev/null 2>&1; echo "$label: $((SECONDS - start)) s wall"
  fi
}

measure "cold cargo build --release -p fhir-r4" cargo build --release -q -p fhir-r4
for crate in us-core-3-1-1 us-core-6-1-0 us-core-7-0-0; do
  measure "cargo build --release -p $crate (fhir-r4 already built)" cargo build --release -q -p "$crate"
done
measure "cold cargo build -p fhir-r4 (debug)" cargo build -q -p fhir-r4
for crate in us-core-3-1-1 us-core-6-1-0 us-core-7-0-0; do
  measure "cargo build -p $crate (debug, fhir-r4 already built)" cargo build -q -p "$crate"
done

mkdir -p "$scratch/consumer/src"
cat > "$scratch/consumer/Cargo.toml" <<TOML
[package]
name = "consumer"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
fhir-r4 = { path = "$root/generated/fhir-r4" }
us-core-6-1-0 = { path = "$root/generated/us-core-6-1-0" }

[workspace]
TOML
write_main() {
  cat > "$scratch/consumer/src/main.rs" <<RS
fn main() {
    let json = std::fs::read(std::env::args().nth(1).expect("a FHIR JSON file")).unwrap();
    let resource = fhir_r4::Resource::from_json(&json).unwrap();
    println!("$1 {} ({} bytes)", resource.resource_type(), resource.to_json().len());
    let profiled = us_core_6_1_0::ProfiledResource::from_json(&json).unwrap();
    println!("{:?} ({} bytes)", profiled.profile(), profiled.to_json().len());
}
RS
}
cd "$scratch/consumer"
write_main "read"
measure "consumer of fhir-r4 and us-core-6-1-0: first release build" cargo build --release -q
write_main "parsed"
measure "consumer of fhir-r4 and us-core-6-1-0: release rebuild after editing main.rs" cargo build --release -q
