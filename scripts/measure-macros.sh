#!/usr/bin/env bash
# The compile-time figures behind "the generator writes the JSON code out"
# (README, Design): the R4 crate and US Core 6.1.0 built twice, once as
# committed (code written out by `fhirgen_rules::tokens::object_impl`), once
# with `#[derive(fhirgen_macros::FhirObject)]` on the same types expanding to
# the same code through the same function (`fhirgen generate --derive-objects`).
# For each: a cold release build of the crate with its dependencies already
# built, and the extra cold cost of the macro crate itself.
# Usage: FHIR_PACKAGES=... scripts/measure-macros.sh   (takes several minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export FHIR_PACKAGES="${FHIR_PACKAGES:-$(cd .. && pwd)/shared/fhir-packages}"

measure() { # label, command...
  local label=$1; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "$label: %e s wall, peak RSS %M KB" "$@" >/dev/null 2>"$scratch/time" || { cat "$scratch/time"; exit 1; }
    tail -n 1 "$scratch/time"
  else
    local start=$SECONDS; "$@" >/dev/null 2>&1; echo "$label: $((SECONDS - start)) s wall"
  fi
}

cargo build -q -p fhirgen
fhirgen="$root/target/debug/fhirgen"

# Both variants as stand-alone crates with path dependencies on this checkout.
for variant in written derive; do
  flag=""; [ "$variant" = derive ] && flag="--derive-objects"
  "$fhirgen" generate --offline --package hl7.fhir.r4.core@4.0.1 --out "$scratch/$variant/fhir-r4" $flag 2>/dev/null
  "$fhirgen" generate --offline --package hl7.fhir.us.core@6.1.0 --out "$scratch/$variant/us-core-6-1-0" $flag 2>/dev/null
  for crate in fhir-r4 us-core-6-1-0; do
    toml="$scratch/$variant/$crate/Cargo.toml"
    sed -i \
      -e "s|^fhirgen-runtime = .*|fhirgen-runtime = { path = \"$root/runtime\" }|" \
      -e "s|^fhirgen-macros = .*|fhirgen-macros = { path = \"$root/macros\" }|" \
      -e "s|^fhir-r4 = .*|fhir-r4 = { path = \"../fhir-r4\" }|" "$toml"
  done
  printf '[workspace]\nmembers = ["fhir-r4", "us-core-6-1-0"]\nresolver = "3"\n' > "$scratch/$variant/Cargo.toml"
  echo "$variant: $(grep -rc 'derive(Debug, Clone, PartialEq, ::fhirgen_macros::FhirObject)' "$scratch/$variant" | awk -F: '{s+=$2} END {print s}') types with the derive"
done

for variant in written derive; do
  export CARGO_TARGET_DIR="$scratch/target-$variant"
  cd "$scratch/$variant"
  # Dependencies first: the runtime (and, for the derive, the macro crate).
  measure "$variant: dependencies (runtime$([ "$variant" = derive ] && echo ', fhirgen-macros + syn'))" \
    cargo build --release -q -p fhirgen-runtime $([ "$variant" = derive ] && echo "-p fhirgen-macros")
  measure "$variant: cargo build --release -p fhir-r4" cargo build --release -q -p fhir-r4
  measure "$variant: cargo build --release -p us-core-6-1-0 (fhir-r4 built)" cargo build --release -q -p us-core-6-1-0
done
