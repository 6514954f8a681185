#!/usr/bin/env bash
# Build, test and demo ngx_http_okta_telephony_module.
#
#   ./build.sh            build build/ngx_http_okta_telephony_module.so
#   ./build.sh test       install what is missing, build, run unit + t/ tests
#   ./build.sh test --asan      the same with the core, the module and the
#                         unit tests built with ASan+UBSan (build/asan/);
#                         fails on any sanitizer report
#   ./build.sh test --valgrind  plain build, t/ suite with nginx under
#                         valgrind; fails on definite leaks and memory
#                         errors in the module's code
#                         (.t files after test or its option run only those)
#   ./build.sh matrix [VERSIONS]  the module and t/ against Debian's nginx
#                         ("debian") and nginx 1.24 1.26 1.28 1.30 1.31 (or
#                         VERSIONS) built under build/matrix/ from the release
#                         tarballs in $NGINX_TARBALLS, else ../shared/nginx,
#                         else /work/shared/nginx; the table of results goes
#                         to build/matrix/results.md
#   ./build.sh deb        build/deb/libnginx-mod-http-okta-telephony_VERSION_amd64.deb
#                         for Debian's nginx (debian/, nginx-dev's dh addon),
#                         checked with lintian
#   ./build.sh deb-check  install that .deb with apt-get, "nginx -t" with
#                         conf/sites-available/okta-telephony, purge it and
#                         check that nothing is left (as root; CI does it)
#   ./build.sh check-nginx [SO [NGINX]]  before an install from source: does
#                         the .so (default: this build's) fit this machine's
#                         nginx (default: nginx in PATH)? Versions, binary
#                         signature, libraries, a trial nginx -t; the
#                         mismatch in words (tools/check-nginx-compat, which
#                         also runs alone on the target)
#   ./build.sh demo       build, start nginx with the module and a local 8x8
#                         stand-in on 127.0.0.1, send sample hooks
#   ./build.sh demo-stop  stop the demo nginx
#   ./build.sh fuzz [s]   run the libFuzzer targets for s seconds each
#   ./build.sh bench      module vs plain proxy_pass benchmark (wrk)
#   ./build.sh clean      remove build/
#
# NGINX_SRC=/path/to/nginx-source builds against that tree instead of
# Debian's nginx-dev (/usr/share/nginx/src); the tree is only read (it is
# copied to build/nginx-src-NAME/ and configured there).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$top"
build="$top/build"
module_so="$build/ngx_http_okta_telephony_module.so"
# a build against another tree is named for it, never Debian's build's name
[ -z "${NGINX_SRC:-}" ] \
    || module_so="$build/ngx_http_okta_telephony_module-$(basename "$NGINX_SRC").so"
core_lib="$build/libokta_telephony_core.a"
jobs=$(nproc 2>/dev/null || echo 2)

say() { printf '==> %s\n' "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- deps ----

# Debian packages the build and the tests need.
apt_packages=(g++ make pkg-config perl libyajl-dev check libssl-dev
              libpcre2-dev zlib1g-dev nginx-dev nginx curl
              libtest-base-perl libphonenumber-dev prometheus)
# prometheus: only for promtool, which t/017 runs on the /metrics output
# (the only Debian 12 package shipping it; its service is not needed)
# `test --valgrind` also installs valgrind (`test --asan` uses gcc's
# libasan/libubsan, which g++ pulls in through libgcc-12-dev).

ensure_deps() {
    local missing=() p
    for p in "${apt_packages[@]}" "$@"; do
        # the nginx package is only wanted when no nginx binary is installed
        if [ "$p" = nginx ]; then
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
    if [ -n "${NGINX_SRC:-}" ]; then
        local keep=()
        for p in "${missing[@]}"; do [ "$p" = nginx-dev ] || keep+=("$p"); done
        missing=("${keep[@]}")
        [ "${#missing[@]}" -eq 0 ] && return 0
    fi
    say "installing: ${missing[*]}"
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    command -v apt-get >/dev/null || die "apt-get not found; install: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
}

# ---------------------------------------------------------------- core ----

# libphonenumber ships no .pc file; its own shared library pulls in
# protobuf, ICU and abseil
phonenumber_libs=(-lphonenumber)
# the JWT verification: EVP only (libssl-dev ships libcrypto's headers)
crypto_libs=(-lcrypto)

CXX=${CXX:-g++}

# core_lib_from TREE LIB: the core's objects, compiled by nginx's make as
# part of the module (see config), as a static library for the unit tests
# and the benchmark; the module itself never links it
core_lib_from() {
    local tree=$1 lib=$2
    mkdir -p "$(dirname "$lib")"
    rm -f "$lib"
    ar rcs "$lib" "$tree"/objs/addon/core/*.o
}

# build_unit_tests [CORE_LIB OUTPUT EXTRA_FLAGS...]
build_unit_tests() {
    local lib=${1:-$core_lib} out=${2:-$build/unit_tests}
    shift $(( $# < 2 ? $# : 2 ))
    $CXX -std=c++17 -O1 -g -Wall -Wextra -Werror -Isrc/core "$@" \
        tests/unit/*.cpp "$lib" \
        $(pkg-config --cflags --libs check yajl) "${phonenumber_libs[@]}" \
        "${crypto_libs[@]}" \
        -o "$out"
}

# --------------------------------------------------------------- nginx ----

nginx_tree() {
    if [ -n "${NGINX_SRC:-}" ]; then
        [ -f "$NGINX_SRC/auto/configure" ] || [ -f "$NGINX_SRC/configure" ] \
            || die "NGINX_SRC=$NGINX_SRC is not an nginx source tree"
        # out of tree: configure and make run in a copy, never in $NGINX_SRC
        echo "$build/nginx-src-$(basename "$NGINX_SRC")"
    else
        [ -f /usr/share/nginx/src/conf_flags ] \
            || die "/usr/share/nginx/src missing: install nginx-dev"
        echo "$build/nginx-src"
    fi
}

# build_module [TREE OUTPUT_SO CORE_LIB CC_OPT LD_OPT INCLUDE]: configure
# nginx in TREE (default: see nginx_tree) with the module and build the .so
# (the core included, see config); CORE_LIB receives the core's objects.
# A TREE other than nginx_tree's is a private copy of the source, configured
# with the extra --with-cc-opt/--with-ld-opt (the sanitizer build); INCLUDE
# is a header force-included into the module's sources only (configure's
# own test programs must not see it).
build_module() {
    local tree=${1:-} so_out=${2:-$module_so} lib=${3:-$core_lib}
    local cc_opt=${4:-} ld_opt=${5:-} include=${6:-} stamp conf_args=() logdir
    local make_args=()
    local plain_tree
    plain_tree=$(nginx_tree)
    [ -n "$tree" ] || tree=$plain_tree
    logdir=$(dirname "$so_out")
    mkdir -p "$logdir"
    # Debian's tree is read-only and never writes a top Makefile, and a
    # tree given in $NGINX_SRC is only read: configure and make run in a
    # copy under build/ (a private one for the sanitizer build)
    local from=${NGINX_SRC:-/usr/share/nginx/src}
    if [ "$(cat "$tree/.copied" 2>/dev/null)" != "$from" ]; then
        rm -rf "$tree"
        mkdir -p "$tree"
        (cd "$from" && tar --exclude=./objs --exclude=./Makefile -cf - .) \
            | (cd "$tree" && tar -xf -)
        echo "$from" > "$tree/.copied"
    fi
    if [ -z "${NGINX_SRC:-}" ]; then
        # shellcheck disable=SC1091
        source "$tree/conf_flags"
        conf_args=("${NGX_CONF_FLAGS[@]}")
    else
        # a plain nginx source tree: --with-compat makes the module loadable
        # into an nginx of the same version built with --with-compat
        # shellcheck disable=SC2206
        conf_args=(--with-compat ${NGINX_CONFIGURE_ARGS:-})
    fi
    [ -n "$cc_opt" ] && conf_args+=(--with-cc-opt="$cc_opt")
    [ -n "$ld_opt" ] && conf_args+=(--with-ld-opt="$ld_opt")
    stamp="$tree/objs/.okta_telephony_configured"
    if [ ! -f "$stamp" ] || [ config -nt "$stamp" ] \
       || [ config.make -nt "$stamp" ] || [ src/core -nt "$stamp" ] \
       || { [ -n "$cc_opt$ld_opt" ] \
            && [ "$(cat "$stamp")" != "${conf_args[*]} $lib" ]; }; then
        say "configuring nginx in $tree"
        # a release tarball has ./configure, a git checkout auto/configure
        local configure=./configure
        [ -f "$tree/configure" ] || configure=auto/configure
        # ASAN_OPTIONS: configure runs its test programs, which the
        # sanitizer flags instrument; a leak report must not turn a feature
        # test into "not found"
        (cd "$tree" && ASAN_OPTIONS=detect_leaks=0 \
            "$configure" "${conf_args[@]}" --add-dynamic-module="$top" \
            > "$logdir/configure.log" 2>&1) \
            || { tail -20 "$logdir/configure.log"; die "nginx configure failed"; }
        if [ -n "$cc_opt$ld_opt" ]; then
            echo "${conf_args[*]} $lib" > "$stamp"
        else
            touch "$stamp"
        fi
    fi
    # the git revision the module logs at start is compiled into one
    # object at configure time; configure runs again only when the list of
    # sources may have changed, so a new commit is written in here
    local rev
    rev=${OKTA_TELEPHONY_REVISION:-$(git -C "$top" rev-parse --short=12 HEAD \
                                     2>/dev/null || echo unknown)}
    if ! grep -q "NGX_HTTP_OKTA_TELEPHONY_REVISION='\"$rev\"'" "$tree/objs/Makefile"; then
        sed -i "s/\(NGX_HTTP_OKTA_TELEPHONY_REVISION='\"\)[^\"]*/\1$rev/" \
            "$tree/objs/Makefile"
        rm -f "$tree/objs/addon/ngx/ngx_http_okta_telephony_module.o"
    fi
    local so="$tree/objs/ngx_http_okta_telephony_module.so"
    if [ -n "$include" ]; then
        # every glue object is compiled with it: rebuild those older
        local obj
        for obj in "$tree"/objs/addon/ngx/*.o; do
            [ -f "$obj" ] && [ "$include" -nt "$obj" ] && rm -f "$obj"
        done
        make_args=("OKTA_TELEPHONY_GLUE_CFLAGS=-include $include")
    fi
    (cd "$tree" && make -f objs/Makefile -j"$jobs" modules "${make_args[@]}") \
        > "$logdir/make.log" 2>&1 \
        || { grep -E 'error|Error' "$logdir/make.log" | head -30; die "module build failed (see $logdir/make.log)"; }
    # a new file, not cp over the old one: an nginx that has the old .so
    # mapped (a test run) must not see it change under its feet
    cp "$so" "$so_out.tmp"
    mv -f "$so_out.tmp" "$so_out"
    core_lib_from "$tree" "$lib"
    say "built $so_out"
}

build_all() {
    mkdir -p "$build"
    build_module
}

# ---------------------------------------------------------------- test ----

# run_t_suite [.t files]: the t/ suite (or the files given), see t/run-suite
run_t_suite() {
    T_MODULE_SO="${T_MODULE_SO:-$module_so}" "$top/t/run-suite" "$@"
}

run_unit_tests() {
    OKTATEL_SAMPLES_DIR="$top/tests/samples" OKTATEL_CORPUS_DIR="$top/tests/corpus" \
        "$@"
}

cmd_test() {
    case "${1:-}" in
        --asan)     shift; cmd_test_asan "$@"; return ;;
        --valgrind) shift; cmd_test_valgrind "$@"; return ;;
        -*)         die "test: unknown option '$1' (--asan or --valgrind)" ;;
    esac
    ensure_deps
    build_all
    build_unit_tests
    say "unit tests"
    run_unit_tests "$build/unit_tests"
    say "nginx tests (t/)"
    run_t_suite "$@"
}

# ------------------------------------------------- test --asan/--valgrind ----

asan_dir="$build/asan"
# shellcheck disable=SC2054
san_flags=(-fsanitize=address,undefined -fno-omit-frame-pointer -g -O1)

# The core, the module and the unit tests with ASan+UBSan (build/asan/);
# t/sanitize/run-asan runs them and reads the reports
cmd_test_asan() {
    ensure_deps
    local lib="$asan_dir/libokta_telephony_core.a" CXX=g++  # libasan is preloaded
    mkdir -p "$asan_dir"
    build_module "$build/nginx-src-asan" "$asan_dir/ngx_http_okta_telephony_module.so" \
        "$lib" "${san_flags[*]}" "-fsanitize=address,undefined" \
        "$top/t/sanitize/asan-pools.h"
    build_unit_tests "$lib" "$asan_dir/unit_tests" "${san_flags[@]}"
    exec "$top/t/sanitize/run-asan" "$@"
}

# The plain build; t/sanitize/run-valgrind runs the t/ suite under valgrind
cmd_test_valgrind() {
    ensure_deps valgrind
    build_all
    exec "$top/t/sanitize/run-valgrind" "$@"
}

# -------------------------------------------------------------- matrix ----

# Release tarballs of upstream nginx: $NGINX_TARBALLS, else ../shared/nginx
# next to the checkout, else /work/shared/nginx (the first that has one)
matrix_places() {
    if [ -n "${NGINX_TARBALLS:-}" ]; then
        echo "$NGINX_TARBALLS"
    else
        echo "$top/../shared/nginx"
        echo /work/shared/nginx
    fi
}
matrix_tarballs() {
    local d
    while read -r d; do
        if ls "$d"/nginx-*.tar.gz >/dev/null 2>&1; then
            (cd "$d" && pwd)
            return 0
        fi
    done < <(matrix_places)
    return 1
}
# "debian": Debian's nginx-dev and /usr/sbin/nginx (what `./build.sh test`
# uses); a number: the newest tarball of that version
matrix_default=(debian 1.24 1.26 1.28 1.30 1.31)
# dav: t/022's stand-in for Okta's keys endpoint takes the new keys by PUT
matrix_configure=(--with-compat --with-http_ssl_module --with-http_v2_module
                  --with-http_dav_module)

# matrix_t_result LOG RC: "pass: N files, M tests" or "FAIL: ..." (prove's
# summary says "PASS" for the files it ran even when one bailed out)
matrix_t_result() {
    local log=$1 rc=$2 files tests failed
    files=$(sed -n 's/^Files=\([0-9]*\), .*/\1/p' "$log" | tail -1)
    tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$log" | tail -1)
    if grep -q '^FAILED--Further testing stopped' "$log"; then
        echo "FAIL: stopped at $(sed -n 's/^FAILED--Further testing stopped: \(t\/[^ ]*\.t\) .*/\1/p' \
            "$log" | head -1) ($tests tests before it)"
    elif [ "$rc" -eq 0 ] && grep -q '^Result: PASS' "$log"; then
        local skipped
        skipped=$(grep -c '^t/.* skipped: ' "$log" || true)
        echo "pass: ${files:-?} files, ${tests:-?} tests${skipped:+$([ "$skipped" -gt 0 ] \
              && echo ", $skipped skipped")}"
    else
        failed=$(sed -n 's/^\(t\/[^ ]*\.t\) .*(Wstat.*Failed: \([0-9]*\)).*/\1 (\2)/p' \
                 "$log" | paste -sd, - | sed 's/,/, /g')
        echo "FAIL: ${failed:-see $log} (failed tests of ${tests:-?})"
    fi
}

# matrix_row VERSION SOURCE BUILD T BUILD_SECONDS T_SECONDS
matrix_row() {
    printf '| %s | %s | %s | %s | %s s | %s s |\n' "$@"
}

# matrix_debian: the module against Debian's nginx-dev, t/ with /usr/sbin/nginx
matrix_debian() {
    local log="$build/matrix/debian.log" v t0 t1 so
    v=$(/usr/sbin/nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
    t0=$SECONDS
    say "building the module against Debian's nginx-dev $v" >&2
    (build_all) > "$log" 2>&1 \
        || { matrix_row "$v" "Debian 12 nginx-dev" "FAIL (see $log)" - \
                 $((SECONDS - t0)) 0; return 1; }
    so=$module_so
    t1=$SECONDS
    say "t/ with /usr/sbin/nginx $v" >&2
    T_MODULE_SO="$so" TEST_NGINX_BINARY=/usr/sbin/nginx \
        "$top/t/run-suite" > "$log.t" 2>&1
    local rc=$?
    matrix_row "$v" "Debian 12 nginx-dev, /usr/sbin/nginx" ok \
        "$(matrix_t_result "$log.t" "$rc")" $((t1 - t0)) $((SECONDS - t1))
    return "$rc"
}

# matrix_one DIR VERSION: unpack that nginx into build/matrix/ (the tarball
# is only read), build it and the module against it, run t/ with that binary
matrix_one() {
    local tarballs=$1 v=$2 tgz name tree log t0 t1 so
    [ "$v" = debian ] && { matrix_debian; return; }
    tgz=$(ls "$tarballs"/nginx-"$v".*.tar.gz "$tarballs"/nginx-"$v".tar.gz \
          2>/dev/null | sort -V | tail -1)
    if [ -z "$tgz" ]; then
        matrix_row "$v" "no nginx-$v.*.tar.gz in $tarballs" - - 0 0
        return 1
    fi
    name=$(basename "$tgz" .tar.gz)
    tree="$build/matrix/$name"
    log="$build/matrix/$name.log"
    local src="$name.tar.gz"
    # a new tarball or other configure arguments: nginx is built again
    local stamp="$tgz $(stat -c %Y "$tgz") ${matrix_configure[*]}"
    t0=$SECONDS
    if [ ! -x "$tree/objs/nginx" ] \
       || [ "$(cat "$tree/.tarball" 2>/dev/null)" != "$stamp" ]; then
        rm -rf "$tree"
        tar -xzf "$tgz" -C "$build/matrix"
        [ -f "$tree/configure" ] \
            || { matrix_row "${name#nginx-}" "$src" "FAIL: no $name/configure in $tgz" - \
                     $((SECONDS - t0)) 0; return 1; }
        say "building $name" >&2
        (cd "$tree" && ./configure "${matrix_configure[@]}" \
            --add-dynamic-module="$top" && make -j"$jobs") > "$log" 2>&1 \
            || { matrix_row "${name#nginx-}" "$src" "FAIL: nginx build (see $log)" - \
                     $((SECONDS - t0)) 0; return 1; }
        echo "$stamp" > "$tree/.tarball"
    else
        # configure again: it records the module's sources and revision
        say "building the module against $name" >&2
        (cd "$tree" && ./configure "${matrix_configure[@]}" \
            --add-dynamic-module="$top" && make -j"$jobs" modules) > "$log" 2>&1 \
            || { matrix_row "${name#nginx-}" "$src" "FAIL: module build (see $log)" - \
                     $((SECONDS - t0)) 0; return 1; }
    fi
    so="$build/matrix/ngx_http_okta_telephony_module-${name#nginx-}.so"
    cp "$tree/objs/ngx_http_okta_telephony_module.so" "$so.tmp"
    mv -f "$so.tmp" "$so"
    t1=$SECONDS
    say "t/ with $name" >&2
    T_MODULE_SO="$so" TEST_NGINX_BINARY="$tree/objs/nginx" \
        "$top/t/run-suite" > "$log.t" 2>&1
    local rc=$?
    matrix_row "${name#nginx-}" "$src" ok "$(matrix_t_result "$log.t" "$rc")" \
        $((t1 - t0)) $((SECONDS - t1))
    return "$rc"
}

# ./build.sh matrix [VERSIONS]: the table goes to build/matrix/results.md
cmd_matrix() {
    [ -z "${NGINX_SRC:-}" ] \
        || die "matrix: NGINX_SRC is not used here (the tarballs are), unset it"
    ensure_deps
    local v rc=0 out="$build/matrix/results.md" tarballs=
    [ "$#" -gt 0 ] || set -- "${matrix_default[@]}"
    if ! tarballs=$(matrix_tarballs); then
        local want=()
        for v in "$@"; do [ "$v" = debian ] || want+=("$v"); done
        if [ "${#want[@]}" -gt 0 ]; then
            echo "matrix skipped: no nginx source tarballs in" \
                 "$(matrix_places | tr '\n' ' ')(set NGINX_TARBALLS)"
            set -- $(printf '%s\n' "$@" | grep -x debian || true)
            [ "$#" -gt 0 ] || return 0
        fi
    fi
    mkdir -p "$build/matrix"
    {
        echo "| nginx | built from | module build | t/ | build time | t/ time |"
        echo "|---|---|---|---|---|---|"
    } > "$out.new"
    local t0=$SECONDS
    for v in "$@"; do
        # the row goes to the table, what is being done to stderr
        matrix_one "$tarballs" "$v" >> "$out.new" || rc=1
        tail -1 "$out.new"
    done
    local rev
    rev=$(git -C "$top" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
    git -C "$top" diff --quiet HEAD 2>/dev/null || rev="$rev with uncommitted changes"
    printf '\nnginx from a tarball: ./configure %s, the module with --add-dynamic-module.\n' \
        "${matrix_configure[*]}" >> "$out.new"
    printf 'Measured %s on %s (%s cores), module %s (revision %s): %s s in all.\n' \
        "$(date -u +%Y-%m-%d)" "$(uname -sm)" "$jobs" \
        "$(sed -n 's/^okta_telephony_version=//p' config)" "$rev" \
        $((SECONDS - t0)) >> "$out.new"
    mv -f "$out.new" "$out"
    say "results in $out"
    return "$rc"
}

# ------------------------------------------------------------- package ----

deb_dir="$build/deb"
deb_name=libnginx-mod-http-okta-telephony
# build-essential: dpkg-buildpackage checks it besides debian/control's
# Build-Depends (the rest of which apt_packages already has)
deb_packages=(build-essential debhelper dpkg-dev lintian)

# deb_sources DIR: the checkout's files (committed or not, never build/ or
# what .gitignore lists) copied to DIR, where dpkg-buildpackage may write
deb_sources() {
    local dir=$1 f
    mkdir -p "$dir"
    if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
        git -C "$top" ls-files -z --cached --others --exclude-standard \
            | while IFS= read -r -d '' f; do
                  [ -e "$f" ] && printf '%s\0' "$f"
              done \
            | tar --null -T - -cf - | (cd "$dir" && tar -xf -)
    else
        tar --exclude=./build --exclude=./.git -cf - . | (cd "$dir" && tar -xf -)
    fi
}

# ./build.sh deb: dpkg-buildpackage in a copy under build/deb/ (it writes
# its .deb next to the tree it builds), then lintian, which must find no
# error
cmd_deb() {
    [ -z "${NGINX_SRC:-}" ] \
        || die "deb: the package is built for Debian's nginx (nginx-dev), not NGINX_SRC"
    ensure_deps "${deb_packages[@]}"
    local version changelog rev src deb
    version=$(sed -n 's/^okta_telephony_version=//p' config)
    changelog=$(dpkg-parsechangelog -S Version)
    [ "$changelog" = "$version" ] \
        || die "debian/changelog is at $changelog, config at $version: add a changelog entry"
    # the copy is no git checkout: config gets the revision from here
    rev=${OKTA_TELEPHONY_REVISION:-$(git rev-parse --short=12 HEAD 2>/dev/null \
                                     || echo unknown)}
    rm -rf "$deb_dir"
    src="$deb_dir/$deb_name-$version"
    deb_sources "$src"
    say "dpkg-buildpackage in $src"
    (cd "$src" && OKTA_TELEPHONY_REVISION=$rev \
        DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" \
        dpkg-buildpackage -us -uc -b) > "$deb_dir/build.log" 2>&1 \
        || { tail -30 "$deb_dir/build.log"; die "package build failed (see $deb_dir/build.log)"; }
    rm -rf "$src"
    deb="$deb_dir/${deb_name}_${version}_$(dpkg --print-architecture).deb"
    [ -f "$deb" ] || die "dpkg-buildpackage made no $deb"
    say "lintian $deb"
    lintian --fail-on error --info "$deb" | tee "$deb_dir/lintian.log" \
        || die "lintian found errors (see $deb_dir/lintian.log)"
    say "built $deb ($(du -k "$deb" | cut -f1) KB)"
    dpkg-deb -f "$deb" Depends
}

# ./build.sh deb-check [DEB]: see t/package/check-deb; the site's
# nginx -t needs openssl (its test certificate) and ca-certificates (the
# bundle proxy_ssl_trusted_certificate names)
cmd_deb_check() {
    local deb=${1:-}
    ensure_deps openssl ca-certificates
    if [ -z "$deb" ]; then
        deb=$(ls "$deb_dir/${deb_name}"_*_"$(dpkg --print-architecture)".deb \
              2>/dev/null | sort -V | tail -1)
        [ -n "$deb" ] || die "no package in $deb_dir: run ./build.sh deb first"
    fi
    exec "$top/t/package/check-deb" "$deb"
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
    matrix)     shift; cmd_matrix "$@" ;;
    check-nginx) shift; exec "$top/tools/check-nginx-compat" "${1:-$module_so}" \
                     ${2:+"$2"} ;;
    demo)       cmd_demo ;;
    deb)        cmd_deb ;;
    deb-check)  shift; cmd_deb_check "$@" ;;
    demo-stop)  exec "$top/conf/demo/run-demo.sh" --stop ;;
    fuzz)       shift; ensure_deps; exec "$top/fuzz/run.sh" "$@" ;;
    bench)      ensure_deps; build_all; exec "$top/bench/run" ;;
    clean)      rm -rf "$build" ;;
    *)          awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 2 ;;
esac
