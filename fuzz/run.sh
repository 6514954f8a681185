#!/usr/bin/env bash
# Build and run the libFuzzer targets of the core, one after the other.
#
#   fuzz/run.sh [seconds] [target...]   seconds per target (default 60);
#                             targets: hook reply abuse jwt events (default:
#                             all)
#
# Targets: fuzz_hook (Okta hook bodies), fuzz_reply (8x8 reply bodies),
# fuzz_abuse (rates, rule lists, destinations, limit and breaker state),
# fuzz_jwt (bearer tokens, JOSE headers, claims, JWKS documents),
# fuzz_events (8x8's delivery receipts and voice session summaries).
# Binaries, seed and working corpora, logs and crash files go to
# build/fuzz/. Exits non-zero if any target crashed; the crash file's path
# is printed. Called by `./build.sh fuzz [seconds]`.
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top" || exit 2
out="$top/build/fuzz"
secs=${1:-60}
shift $(( $# > 0 ? 1 : 0 ))
wanted=" ${*:-hook reply abuse jwt events} "

say() { printf '==> %s\n' "$*"; }
die() { printf 'fuzz/run.sh: %s\n' "$*" >&2; exit 2; }

case "$secs" in
    ''|*[!0-9]*) die "seconds must be a positive integer, not '$secs'" ;;
esac
[ "$secs" -gt 0 ] || die "seconds must be > 0"
for t in $wanted; do
    case "$t" in
        hook|reply|abuse|jwt|events) ;;
        *) die "unknown target '$t' (hook, reply, abuse, jwt or events)" ;;
    esac
done

# ---------------------------------------------------------------- deps ----

ensure_deps() {
    local missing=() p
    command -v clang++ >/dev/null 2>&1 || missing+=(clang)
    for p in libclang-rt-14-dev libyajl-dev pkg-config libphonenumber-dev; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed' || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    say "installing: ${missing[*]}"
    command -v apt-get >/dev/null || die "apt-get not found; install: ${missing[*]}"
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null \
        || die "apt-get install ${missing[*]} failed"
}

# --------------------------------------------------------------- build ----

CXX=${FUZZ_CXX:-clang++}
# shellcheck disable=SC2054  # commas belong to -fsanitize=
fuzz_flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined
            -fno-sanitize-recover=undefined -Isrc/core)

build_target() {
    local name=$1
    say "building $out/$name"
    # shellcheck disable=SC2046
    $CXX "${fuzz_flags[@]}" $(pkg-config --cflags yajl 2>/dev/null) \
        src/core/*.cpp "fuzz/$name.cpp" \
        $(pkg-config --libs yajl 2>/dev/null || echo -lyajl) -lphonenumber -lcrypto \
        -o "$out/$name" || die "building $name failed"
}

# ----------------------------------------------------------------- run ----

# seed_dir NAME FILES...: a fresh read-only seed corpus
seed_dir() {
    local dir="$out/seed-$1" f
    shift
    rm -rf "$dir"
    mkdir -p "$dir"
    for f in "$@"; do
        [ -f "$f" ] && cp "$f" "$dir/"
    done
}

failed=0
summary=()

run_target() {
    local name=$1 short=$2 max_len=$3 log="$out/$2.log" rc runs
    local corpus="$out/corpus-$short"
    mkdir -p "$corpus"
    rm -f "$out/$short-"crash-* "$out/$short-"leak-* "$out/$short-"timeout-* \
          "$out/$short-"oom-*
    say "running $name for ${secs}s (corpus $corpus, log $log)"
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$out/$name" "$corpus" "$out/seed-$short" \
        -max_total_time="$secs" -max_len="$max_len" \
        -dict="fuzz/$short.dict" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/$short-" \
        > "$log" 2>&1
    rc=$?

    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    local done_line
    done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -1)
    local artifact
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)

    if [ "$rc" -eq 0 ] && [ -z "$artifact" ]; then
        say "$name: OK: ${done_line:-?} (stat::number_of_executed_units: ${runs:-?})," \
            "corpus $(find "$corpus" -type f | wc -l) files"
        summary+=("$name OK ${runs:-?} execs in ${secs}s")
    else
        failed=1
        say "$name: FAILED (exit $rc) after ${runs:-?} execs"
        grep -E 'INVARIANT VIOLATED|^SUMMARY:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' \
            "$log" | head -5
        if [ -n "$artifact" ]; then
            printf 'crash file: %s\n' "$artifact"
            printf 'reproduce:  %s %s\n' "$out/$name" "$artifact"
        else
            tail -20 "$log"
        fi
        summary+=("$name FAILED ${artifact:+crash file $artifact}")
    fi
}

ensure_deps
mkdir -p "$out"
# which core was fuzzed: the sources change under other hands
say "core sources: $(cat src/core/*.hpp src/core/*.cpp | sha256sum | cut -c1-16)" \
    "(newest: $(find src/core -type f -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2))"
for t in hook reply abuse jwt events; do
    [[ $wanted == *" $t "* ]] && build_target "fuzz_$t"
done

shopt -s nullglob
hook_samples=()
reply_samples=()
abuse_samples=()
jwt_samples=()
events_samples=()
for f in tests/samples/*; do
    case "$(basename "$f")" in
        8x8-event-*) events_samples+=("$f") ;;
        8x8-*) reply_samples+=("$f") ;;
        *)     hook_samples+=("$f") ;;
    esac
done
# the regression corpus: hook-* and reply-* to their target, others to both
for f in tests/corpus/*; do
    case "$(basename "$f")" in
        hook-*)  hook_samples+=("$f") ;;
        reply-*) reply_samples+=("$f") ;;
        abuse-*) abuse_samples+=("$f") ;;
        jwt-*)   jwt_samples+=("$f") ;;
        event-*) events_samples+=("$f") ;;
        *)       hook_samples+=("$f"); reply_samples+=("$f") ;;
    esac
done
seed_dir hook "${hook_samples[@]}"
seed_dir reply "${reply_samples[@]}"
seed_dir abuse "${abuse_samples[@]}"
seed_dir jwt "${jwt_samples[@]}"
seed_dir events "${events_samples[@]}"
shopt -u nullglob

# one after the other: the cores are shared
[[ $wanted == *" hook "* ]] && run_target fuzz_hook hook 4096
[[ $wanted == *" reply "* ]] && run_target fuzz_reply reply 2048
[[ $wanted == *" abuse "* ]] && run_target fuzz_abuse abuse 1300
[[ $wanted == *" jwt "* ]] && run_target fuzz_jwt jwt 9000
[[ $wanted == *" events "* ]] && run_target fuzz_events events 8192

say "summary"
printf '  %s\n' "${summary[@]}"
exit "$failed"
