#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 60), one after the
# other, with corpora seeded from the official packages in $FHIR_PACKAGES
# (examples up to 64 kB for the readers, small archives re-packed from the
# packages' own files, the FHIRPath suite's expressions, the queries,
# scopes and narratives of fuzz/seeds/). The corpora live in
# fuzz/corpus/ (not committed: they hold the packages' files); what a run
# finds is left in fuzz/artifacts/<target>/ and the script fails.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(r4_read profile_read one_verdict package_archive fhirpath_parse search_query smart_scope narrative)
fi
packages="${FHIR_PACKAGES:-$(cd .. && pwd)/shared/fhir-packages}"
suite="${FHIRPATH_TESTS:-$(cd "$packages/.." && pwd)/fhirpath-tests}/tests-fhir-r4.xml"
corpus=fuzz/corpus

seed() {
  local scratch
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  mkdir -p "$corpus/r4_read" "$corpus/profile_read" "$corpus/one_verdict" "$corpus/package_archive" \
    "$corpus/fhirpath_parse" "$corpus/search_query" "$corpus/smart_scope" "$corpus/narrative"
  for archive in "$packages"/*.tgz; do
    local name
    name=$(basename "$archive" .tgz)
    mkdir -p "$scratch/$name"
    tar -xzf "$archive" -C "$scratch/$name"
    # Resources (examples included) of up to 64 kB: every reader's seed.
    find "$scratch/$name/package" -name '*.json' -size -64k ! -name '.*' ! -name package.json |
      while read -r file; do
        sum=$(sha1sum "$file" | cut -c1-16)
        cp "$file" "$corpus/r4_read/$sum"
        cp "$file" "$corpus/one_verdict/$sum"
        case "$name" in
          hl7.fhir.us.core-*) cp "$file" "$corpus/profile_read/$sum" ;;
        esac
      done
    # A small archive of the package: its manifest and two of its files.
    (cd "$scratch/$name" &&
      find package -maxdepth 1 -name '*.json' -size -8k ! -name '.*' ! -name package.json | sort | sed -n '1,2p' |
        xargs tar -czf "$scratch/$name.seed.tgz" package/package.json)
    cp "$scratch/$name.seed.tgz" "$corpus/package_archive/$name.tgz"
  done
  # Queries, scopes and narratives, one per file (fuzz/seeds holds them,
  # one per line).
  local target
  for target in search_query smart_scope narrative; do
    local k=0
    while IFS= read -r line; do
      k=$((k + 1))
      printf '%s' "$line" > "$corpus/$target/seed-$k"
    done < "fuzz/seeds/$target.txt"
  done
  # The FHIRPath suite's expressions, one per file.
  local n=0
  sed -n 's/.*<expression[^>]*>\(.*\)<\/expression>.*/\1/p' "$suite" |
    sed -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&amp;/\&/g' |
    while IFS= read -r expression; do
      n=$((n + 1))
      printf '%s' "$expression" > "$corpus/fhirpath_parse/suite-$n"
    done
}

for target in "${targets[@]}"; do
  if [ ! -d "$corpus/$target" ]; then
    seed
    break
  fi
done

status=0
for target in "${targets[@]}"; do
  max_len=65536
  [ "$target" = package_archive ] && max_len=262144
  mkdir -p "fuzz/artifacts/$target"
  # -rss_limit_mb: far above what a bounded reader needs, far below the machine.
  set +e
  cargo +nightly fuzz run "$target" "$corpus/$target" -- \
    -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout=30 \
    -print_final_stats=1 >"fuzz/$target.log" 2>&1
  code=$?
  set -e
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "fuzz/$target.log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "fuzz/$target.log")
  inputs=$(find "$corpus/$target" -type f | wc -l)
  if [ "$code" -eq 0 ]; then
    echo "fuzz $target: ${seconds} s, ${runs:-0} runs, peak RSS ${rss:-?} MB, corpus $inputs inputs, no crash"
  else
    echo "fuzz $target: FAILED (exit $code); see fuzz/$target.log and fuzz/artifacts/$target/"
    grep -E "panicked at|==[0-9]+==ERROR|SUMMARY|^error" "fuzz/$target.log" | head -5 || true
    status=1
  fi
done
exit $status
