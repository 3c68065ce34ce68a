#!/usr/bin/env bash
# Every implementation guide in $FHIR_PACKAGES that has no crate in
# definitions/crates.toml (the US Core crates have their own tests): generate
# its crate with `fhirgen generate --package`, build it, read every example
# strictly into its `ProfiledResource` and write it back, and check it with the
# crate's embedded rule tables (tests/ig-check/main.rs), and check every example
# with `fhirgen validate --package`; then the mutated examples of
# tests/ig-check/mutations.tsv, each of which all three must reject at the same
# element with the same issue type. Prints the counts per IG; fails
# when an example fails that tests/ig-check/expected.tsv does not list (with
# the rule it breaks), when a listed one passes, or when a mutation is not
# rejected alike.
# Usage: FHIR_PACKAGES=../shared/fhir-packages scripts/check-igs.sh [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
: "${FHIR_PACKAGES:?set FHIR_PACKAGES to the folder of FHIR packages}"
work=${1:-$(mktemp -d)}
mkdir -p "$work/crates" "$work/examples"
# The repository's target folder: fhir-r4 and the US Core crates the IG
# crates build on are compiled once for the tests and for this.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

# Built as `cargo test --workspace` builds it (so not again): the IG crates
# reuse the US Core crates anyway.
cargo build -q -p fhirgen --features us-core
fhirgen="$CARGO_TARGET_DIR/debug/fhirgen"

members=""
patches=""
for crate in $(sed -n 's/^path = "\(generated\/[^"]*\)"/\1/p' definitions/crates.toml); do
  name=$(basename "$crate")
  patches="$patches$name = { path = \"$root/$crate\" }\n"
done
results="$work/results.tsv"
: > "$results"
ids=""
for archive in "$FHIR_PACKAGES"/*.tgz; do
  base=$(basename "$archive" .tgz)
  id=$(echo "$base" | sed -E 's/^(.*)-([0-9].*)$/\1@\2/')
  case "$id" in hl7.fhir.r4.core@*|hl7.fhir.r4.examples@*) continue ;; esac
  if grep -q "^package = \"$id\"" definitions/crates.toml; then continue; fi
  ids="$ids $id"
  out="$work/crates/$base"
  "$fhirgen" generate --offline --package "$archive" --out "$out" 2> "$work/generate-$base.log" \
    || { cat "$work/generate-$base.log"; echo "error: generating $id failed" >&2; exit 1; }
  crate=$(sed -n 's/^name = "\(.*\)"/\1/p' "$out/Cargo.toml" | head -n 1)
  mkdir -p "$work/check-$base" "$work/examples/$base"
  cat > "$work/check-$base/Cargo.toml" <<TOML
[package]
name = "check-$crate"
version = "0.0.0"
edition = "2024"
publish = false

[[bin]]
name = "check-$crate"
path = "$root/tests/ig-check/main.rs"

[dependencies]
ig = { package = "$crate", path = "../crates/$base" }
fhirgen-runtime = { path = "$root/runtime" }
serde_json = "1"
TOML
  members="$members \"crates/$base\", \"check-$base\","
  tar -xzf "$archive" -C "$work/examples/$base" --wildcards 'package/example/*.json' 2>/dev/null || true
  # The ImplementationGuide resource lists the profile of each example.
  tar -xzf "$archive" -C "$work/examples/$base" --wildcards 'package/ImplementationGuide-*.json' 2>/dev/null || true
done
{
  echo "[workspace]"
  echo 'resolver = "3"'
  echo "members = [${members%,} ]"
  echo
  echo "[patch.crates-io]"
  echo "fhirgen-runtime = { path = \"$root/runtime\" }"
  echo "fhirgen-search = { path = \"$root/search\" }"
  printf "%b" "$patches"
} > "$work/Cargo.toml"
# The same dependency versions as the repository (and so its compiled crates).
cp Cargo.lock "$work/Cargo.lock"
# The generated crates must build without a warning.
(cd "$work" && cargo build -q --bins 2>&1) | tee "$work/build.log"
if grep -q "^warning\|^error" "$work/build.log"; then
  echo "error: the generated IG crates do not build cleanly" >&2
  exit 1
fi

for id in $ids; do
  base=$(echo "$id" | tr '@' '-')
  crate=$(sed -n 's/^name = "\(.*\)"/\1/p' "$work/crates/$base/Cargo.toml" | head -n 1)
  examples=$(find "$work/examples/$base/package/example" -name '*.json' ! -name '.*' 2>/dev/null | sort || true)
  guide=$(find "$work/examples/$base/package" -maxdepth 1 -name 'ImplementationGuide-*.json' 2>/dev/null | head -n 1 || true)
  if [ -z "$examples" ]; then
    echo "$id: no examples"
    continue
  fi
  # shellcheck disable=SC2086
  "$CARGO_TARGET_DIR/debug/check-$crate" "$id" "${guide:--}" $examples > "$work/read-$base.txt"
  tail -n 1 "$work/read-$base.txt"
  # Mutated examples, each rejected alike by the crate and by validate.
  if grep -q "^$id	" tests/ig-check/mutations.tsv; then
    "$CARGO_TARGET_DIR/debug/check-$crate" --mutations tests/ig-check/mutations.tsv \
      "$fhirgen" "$id" "$work/examples/$base/package/example" > "$work/mutations-$base.txt" \
      || { cat "$work/mutations-$base.txt"; echo "error: mutations of $id not rejected alike" >&2; exit 1; }
    tail -n 1 "$work/mutations-$base.txt"
  fi
  grep -v "^$id: " "$work/read-$base.txt" | sed "s/^/$id\tread\t/" >> "$results" || true
  "$fhirgen" validate --offline --package "$id" "$work/examples/$base/package/example" > "$work/validate-$base.jsonl" 2> "$work/validate-$base.log" || true
  tail -n 1 "$work/validate-$base.log"
  grep '"valid":false' "$work/validate-$base.jsonl" \
    | sed -E 's/^\{"file":"([^"]*)".*"diagnostics":"([^"]*)".*$/\1\t\2/' \
    | sed -E "s#^[^\t]*/##; s/^/$id\tvalidate\t/" >> "$results" || true
done

# Every failure must be listed, with the rule it breaks; nothing listed may pass.
expected="$root/tests/ig-check/expected.tsv"
actual_keys=$(cut -f 1-3 "$results" | sort -u)
expected_keys=$(grep -v '^#' "$expected" | grep . | cut -f 1-3 | sort -u || true)
status=0
unexpected=$(comm -23 <(echo "$actual_keys") <(echo "$expected_keys") | grep . || true)
fixed=$(comm -13 <(echo "$actual_keys") <(echo "$expected_keys") | grep . || true)
if [ -n "$unexpected" ]; then
  echo "examples that fail and tests/ig-check/expected.tsv does not list:"
  grep -F -f <(echo "$unexpected") "$results" | sed 's/^/  /' || true
  status=1
fi
if [ -n "$fixed" ]; then
  echo "listed in tests/ig-check/expected.tsv but now pass (remove them):"
  echo "$fixed" | sed 's/^/  /'
  status=1
fi
echo "IG examples: $(wc -l < "$results") failures, all listed: $([ $status = 0 ] && echo yes || echo no)"
exit $status
