#!/usr/bin/env bash
# Demo of ngx_http_okta_telephony_module, all on 127.0.0.1.
#
#   conf/demo/run-demo.sh <module.so>   (./build.sh demo)       start and send samples
#   conf/demo/run-demo.sh --stop        (./build.sh demo-stop)  stop the demo nginx
#
# Starts Debian's /usr/sbin/nginx with the module and a local stand-in for
# the 8x8 API, sends two sample Okta hooks and one without the secret, and
# shows what Okta got back and what "8x8" received.
#
# Environment: DEMO_PORT (hook endpoint, default 18080), DEMO_8X8_PORT
# (8x8 stand-in, default 18081), DEMO_8X8_BACKEND_PORT (its canned answers,
# default DEMO_8X8_PORT + 1), NGINX (default /usr/sbin/nginx).
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
prefix="$top/build/demo"
conf="$prefix/nginx.conf"
pidfile="$prefix/nginx.pid"
template="$top/conf/demo/nginx.conf.in"
nginx=${NGINX:-/usr/sbin/nginx}

port=${DEMO_PORT:-18080}
port_8x8=${DEMO_8X8_PORT:-18081}
port_backend=${DEMO_8X8_BACKEND_PORT:-$((port_8x8 + 1))}

# must match okta_telephony_secret in nginx.conf.in
secret=demo-secret-change-me-0123456789
hook_url="http://127.0.0.1:$port/okta/telephony"

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'run-demo.sh: %s\n' "$*" >&2; exit 1; }
rel() { printf '%s' "${1#"$top"/}"; }

# ---------------------------------------------------------------- stop ----

demo_pid() {
    local pid
    [ -f "$pidfile" ] || return 1
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # a stale pid file may name an unrelated process
    grep -q nginx "/proc/$pid/cmdline" 2>/dev/null || return 1
    printf '%s' "$pid"
}

stop_demo() {
    local pid
    if ! pid=$(demo_pid); then
        rm -f "$pidfile"
        return 1
    fi
    kill -QUIT "$pid" 2>/dev/null || true        # graceful shutdown
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$pidfile"
    return 0
}

if [ "${1:-}" = --stop ]; then
    if stop_demo; then
        echo "demo nginx stopped (logs kept in $(rel "$prefix")/logs/)"
    else
        echo "demo nginx is not running"
    fi
    exit 0
fi

# --------------------------------------------------------------- start ----

[ $# -eq 1 ] || die "usage: $0 <path-to-module.so> | --stop"
[ -f "$1" ] || die "module not found: $1"
module=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -x "$nginx" ] || die "$nginx not found (apt-get install nginx-light)"
command -v curl >/dev/null || die "curl not found (apt-get install curl)"

if stop_demo; then
    echo "stopped the previous demo nginx"
fi

for p in "$port" "$port_8x8" "$port_backend"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        die "127.0.0.1:$p is already in use; choose other ports, e.g.
    DEMO_PORT=28080 DEMO_8X8_PORT=28081 ./build.sh demo"
    fi
done

mkdir -p "$prefix/logs" "$prefix/tmp"
(umask 077 && printf '%s\n' demo-api-key > "$prefix/8x8-api-key")
rm -f "$prefix"/logs/*.log

# escape for the replacement side of sed s|||
sed_esc() { printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g'; }

sed -e "s|@PREFIX@|$(sed_esc "$prefix")|g" \
    -e "s|@MODULE@|$(sed_esc "$module")|g" \
    -e "s|@DEMO_PORT@|$port|g" \
    -e "s|@DEMO_8X8_PORT@|$port_8x8|g" \
    -e "s|@DEMO_8X8_BACKEND_PORT@|$port_backend|g" \
    "$template" > "$conf"

if ! out=$("$nginx" -t -p "$prefix" -c "$conf" 2>&1); then
    printf '%s\n' "$out" >&2
    die "nginx -t failed for $(rel "$conf")"
fi
"$nginx" -p "$prefix" -c "$conf" \
    || die "nginx did not start; see $(rel "$prefix")/logs/error.log"

for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

echo "demo nginx running: pid $(cat "$pidfile"), config $(rel "$conf")"
echo "  Okta hook endpoint  $hook_url"
echo "  8x8 stand-in        http://127.0.0.1:$port_8x8"

# ---------------------------------------------------------------- hooks ---

# POSTs a sample as Okta would; prints the HTTP status and Okta's answer.
send_hook() {
    local file=$1; shift
    # the samples' codes expired long ago, and an expired code is not
    # sent: the demo's copy expires in an hour
    sed "s/2026-11-28T10:05:00.000Z/$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S.000Z)/" \
        "$top/tests/samples/$file" > "$prefix/tmp/$file"
    { curl -sS --max-time 5 "$hook_url" \
          -H 'Content-Type: application/json' "$@" \
          --data-binary "@$prefix/tmp/$file" \
          -w '\n%{http_code}' || true; } \
    | { body=$(cat); printf 'HTTP %s  %s\n' "${body##*$'\n'}" "${body%$'\n'*}"; }
}

say "Okta asks for a voice call (tests/samples/voice-mfa-verification.json)"
send_hook voice-mfa-verification.json -H "x-telephony-key: $secret"

say "Okta asks for an SMS (tests/samples/sms-password-reset.json)"
send_hook sms-password-reset.json -H "x-telephony-key: $secret"

say "a request without the secret"
send_hook sms-password-reset.json

# ---------------------------------------------------------------- report --

sleep 0.2    # let the access log line of the last 8x8 request land

received="$prefix/logs/8x8-received.log"
say "what \"8x8\" received ($(rel "$received"))"
if [ ! -s "$received" ]; then
    echo "(nothing)"
elif command -v python3 >/dev/null; then
    python3 - "$received" <<'EOF'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    print(f'{r["method"]} {r["uri"]}  -> HTTP {r["status"]}')
    print(f'  Authorization: {r["authorization"]}')
    print(f'  Content-Type:  {r["content_type"]}')
    try:
        body = json.dumps(json.loads(r["body"]), indent=2, ensure_ascii=False)
    except ValueError:
        body = r["body"]
    print("  " + body.replace("\n", "\n  "))
EOF
elif command -v jq >/dev/null; then
    while IFS= read -r line; do
        jq -r '"\(.method) \(.uri)  -> HTTP \(.status)",
               "  Authorization: \(.authorization)",
               "  Content-Type:  \(.content_type)"' <<<"$line"
        body=$(jq -r .body <<<"$line")
        { jq . <<<"$body" 2>/dev/null || printf '%s\n' "$body"; } | sed 's/^/  /'
    done < "$received"
else
    cat "$received"
fi

say "the module's log lines ($(rel "$prefix")/logs/error.log)"
# drop the date, pid and the ", client: ..." tail nginx appends
grep 'okta telephony' "$prefix/logs/error.log" \
    | sed -e 's/^[0-9/]* \([0-9:]*\) \[\([a-z]*\)\] [0-9#]*: \*[0-9]* /\1 [\2] /' \
          -e 's/, client: .*//' -e 's/ while [a-z ]*$//' \
    || echo "(none)"

say "done"
sed "s/2026-11-28T10:05:00.000Z/$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S.000Z)/" \
    "$top/tests/samples/voice-pre-enrollment-fr.json" \
    > "$prefix/tmp/voice-pre-enrollment-fr.json"
echo "The demo nginx keeps running. A French voice call, for instance (a copy"
echo "of the sample whose code expires in an hour; an expired one is not sent):"
echo "  curl -sS $hook_url -H 'x-telephony-key: $secret' \\"
echo "       -H 'Content-Type: application/json' --data-binary @$(rel "$prefix")/tmp/voice-pre-enrollment-fr.json"
echo "Stop it with: ./build.sh demo-stop"
echo "Logs: $(rel "$prefix")/logs/ (error.log, access.log, 8x8-received.log)"
