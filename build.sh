#!/usr/bin/env bash
# Build, test and demo ngx_http_okta_telephony_module.
#
#   ./build.sh            build build/ngx_http_okta_telephony_module.so
#   ./build.sh test       install what is missing, build, run unit + t/ tests
#   ./build.sh demo       build, start nginx with the module and a local 8x8
#                         stand-in on 127.0.0.1, send sample hooks
#   ./build.sh demo-stop  stop the demo nginx
#   ./build.sh fuzz [s]   run the libFuzzer targets for s seconds each
#   ./build.sh bench      module vs plain proxy_pass benchmark (wrk)
#   ./build.sh clean      remove build/
#
# NGINX_SRC=/path/to/nginx-source builds against that tree instead of
# Debian's nginx-dev (/usr/share/nginx/src).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$top"
build="$top/build"
module_so="$build/ngx_http_okta_telephony_module.so"
core_lib="$build/libokta_telephony_core.a"
jobs=$(nproc 2>/dev/null || echo 2)

say() { printf '==> %s\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- deps ----

# Debian packages the build and the tests need.
apt_packages=(g++ make pkg-config perl libyajl-dev check libssl-dev
              libpcre2-dev zlib1g-dev nginx-dev nginx-light curl
              libtest-base-perl)

ensure_deps() {
    local missing=() p
    for p in "${apt_packages[@]}"; do
        # nginx-light is only wanted when no nginx binary is installed
        if [ "$p" = nginx-light ]; then
            command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] \
                || missing+=("$p")
            continue
        fi
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    [ -n "${NGINX_SRC:-}" ] && missing=("${missing[@]/nginx-dev}")
    say "installing: ${missing[*]}"
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    command -v apt-get >/dev/null || die "apt-get not found; install: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
}

# ---------------------------------------------------------------- core ----

CXX=${CXX:-g++}
core_cxxflags=(-std=c++17 -O2 -g -fPIC -fvisibility=hidden
               -fvisibility-inlines-hidden -Wall -Wextra -Werror -Wshadow
               -Isrc/core $(pkg-config --cflags yajl 2>/dev/null || true))

build_core() {
    mkdir -p "$build/core"
    local objs=() src obj
    for src in src/core/*.cpp; do
        obj="$build/core/$(basename "${src%.cpp}").o"
        if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] \
           || [ -n "$(find src/core -name '*.hpp' -newer "$obj")" ]; then
            $CXX "${core_cxxflags[@]}" -c "$src" -o "$obj"
        fi
        objs+=("$obj")
    done
    rm -f "$core_lib"
    ar rcs "$core_lib" "${objs[@]}"
}

build_unit_tests() {
    $CXX -std=c++17 -O1 -g -Wall -Wextra -Werror -Isrc/core \
        tests/unit/*.cpp "$core_lib" \
        $(pkg-config --cflags --libs check yajl) -o "$build/unit_tests"
}

# --------------------------------------------------------------- nginx ----

nginx_tree() {
    if [ -n "${NGINX_SRC:-}" ]; then
        [ -f "$NGINX_SRC/auto/configure" ] || [ -f "$NGINX_SRC/configure" ] \
            || die "NGINX_SRC=$NGINX_SRC is not an nginx source tree"
        echo "$NGINX_SRC"
    else
        [ -f /usr/share/nginx/src/conf_flags ] \
            || die "/usr/share/nginx/src missing: install nginx-dev"
        echo "$build/nginx-src"
    fi
}

build_module() {
    local tree stamp conf_args=()
    tree=$(nginx_tree)
    if [ -z "${NGINX_SRC:-}" ]; then
        # Debian's tree is read-only and never writes a top Makefile: copy it
        if [ ! -f "$tree/.copied" ]; then
            rm -rf "$tree"
            cp -r /usr/share/nginx/src "$tree"
            touch "$tree/.copied"
        fi
        # shellcheck disable=SC1091
        source "$tree/conf_flags"
        conf_args=("${NGX_CONF_FLAGS[@]}")
    else
        # a plain nginx source tree: --with-compat makes the module loadable
        # into an nginx of the same version built with --with-compat
        # shellcheck disable=SC2206
        conf_args=(--with-compat ${NGINX_CONFIGURE_ARGS:-})
    fi
    stamp="$tree/objs/.okta_telephony_configured"
    if [ ! -f "$stamp" ] || [ config -nt "$stamp" ]; then
        say "configuring nginx in $tree"
        (cd "$tree" && OKTA_TELEPHONY_CORE_LIB="$core_lib" \
            ./configure "${conf_args[@]}" --add-dynamic-module="$top" \
            > "$build/configure.log" 2>&1) \
            || { tail -20 "$build/configure.log"; die "nginx configure failed"; }
        touch "$stamp"
    fi
    # the core library is an input of the .so: relink when it changed
    local so="$tree/objs/ngx_http_okta_telephony_module.so"
    [ -f "$so" ] && [ "$core_lib" -nt "$so" ] && rm -f "$so"
    (cd "$tree" && make -f objs/Makefile -j"$jobs" modules) \
        > "$build/make.log" 2>&1 \
        || { grep -E 'error|Error' "$build/make.log" | head -30; die "module build failed (see build/make.log)"; }
    cp "$so" "$module_so"
    say "built $module_so"
}

build_all() {
    mkdir -p "$build"
    build_core
    build_module
}

# ---------------------------------------------------------------- test ----

run_t_suite() {
    local inc=()
    perl -MTest::Nginx::Socket -e1 2>/dev/null || inc=(-I "$top/t/lib")
    export TEST_NGINX_LOAD_MODULES="$module_so"
    export TEST_NGINX_BINARY="${TEST_NGINX_BINARY:-/usr/sbin/nginx}"
    export TEST_NGINX_SAMPLES="$top/tests/samples"
    prove "${inc[@]}" -I "$top/t" -r "$@" t/
}

cmd_test() {
    ensure_deps
    build_all
    build_unit_tests
    say "unit tests"
    OKTATEL_SAMPLES_DIR="$top/tests/samples" OKTATEL_CORPUS_DIR="$top/tests/corpus" \
        "$build/unit_tests"
    say "nginx tests (t/)"
    run_t_suite
}

# ---------------------------------------------------------------- demo ----

cmd_demo() {
    ensure_deps
    build_all
    exec "$top/conf/demo/run-demo.sh" "$module_so"
}

case "${1:-build}" in
    build)      ensure_deps; build_all ;;
    test)       shift; cmd_test "$@" ;;
    demo)       cmd_demo ;;
    demo-stop)  exec "$top/conf/demo/run-demo.sh" --stop ;;
    fuzz)       shift; ensure_deps; exec "$top/fuzz/run.sh" "$@" ;;
    bench)      ensure_deps; build_all; exec "$top/bench/run" ;;
    clean)      rm -rf "$build" ;;
    *)          sed -n '2,14p' "$0"; exit 2 ;;
esac
