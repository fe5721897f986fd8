#!/usr/bin/env bash
# peer-bench.sh - the gateway beside nginx and HAProxy under the same wrk load (issues 6 and 18).
#
#   benchmarks/peer-bench.sh [--job whole|proxy] [--transport LIST] [--tls] [--churn] [--workers N]
#                            [--duration S] [--conns N] [--threads T] [--rounds R] [--warmup S] [--port P]
#                            [--resume] [--no-build] [--keep-peers]
#   defaults: --job whole --transport auto,epoll --workers 1 --rounds 5 --warmup 30 --port 18083; the rest as
#   the harness's run.sh
#
# --job whole: the gateway also checks each call as SignalR's (signalr: accessKeys [bench-key],
#   requireSignature, validateRequests; the harness's post.lua signs its calls with bench-key); proxy: the
#   peers' job only (the allow list, X-Forwarded-For, the keep-alive pool).
# --transport LIST: one gateway per transport, side by side in the same rounds (auto = io_uring where the
#   kernel allows it, else epoll); targets gw_auto, gw_epoll, ... on ports P, P+1, ... (one: "gateway").
# --tls: every target terminates TLS 1.3 with one ECDSA P-256 certificate: nginx and HAProxy as configured
#   in benchmarks/tls/ (ports 18091, 18092; named nginx and haproxy in the table), the gateways with
#   listen.tls; the backend target is left out.
# --churn: a new connection for every request (post.lua with "Connection: close"); with --tls each is a
#   full handshake (wrk does not resume sessions).
# --resume: TLS churn with session resumption (implies --tls --churn): h2load --h1, which resumes each
#   client's session on its next connection, drives the same request instead of wrk: a fixed count per
#   round (--requests, default 30000; --warmup S warms up with S x 1000 requests); req/s only.
#
# Builds gateway-server/target-bench/gateway.jar, writes the gateways' configuration next to the peers'
# (the same /tmp/peer-bench/cidrs.txt allow list, the same backend 127.0.0.1:18080), starts the gateways
# in the background with N event loops (N = --workers, the peers' worker_processes / nbthread), runs the
# shared harness (tools/peer-bench/run.sh) with the gateways as extra targets, prints one table (rps,
# p50, p99 and CPU per request of every target, and each gateway's ratios to each peer), stops the
# gateways and, unless --keep-peers, the peers.
#
# Environment: PEER_BENCH_DIR (default: ../shared/tools/peer-bench next to the project, read-only is
# fine), PB_RUN (default /tmp/peer-bench), GATEWAY_JAVA (default java), GATEWAY_JVM_OPTS (replaces the
# JVM flags below), MVN_ARGS (extra Maven arguments, e.g. -o).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
pb=${PEER_BENCH_DIR:-$(cd "$root/.." && pwd)/shared/tools/peer-bench}
[ -x "$pb/run.sh" ] || pb=/work/shared/tools/peer-bench
[ -x "$pb/run.sh" ] || { echo "peer-bench.sh: no tools/peer-bench/run.sh (set PEER_BENCH_DIR)" >&2; exit 2; }
export PB_RUN=${PB_RUN:-/tmp/peer-bench}

workers=1 port=18083 build=1 keep_peers=0 transports=auto,epoll job=whole tls=0 churn=0 resume=0 requests=30000
rounds=5 warmup=30
pass=()
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --job) job=${2:?}; shift 2 ;;
    --tls) tls=1; shift ;;
    --churn) churn=1; shift ;;
    --resume) resume=1 tls=1 churn=1; shift ;;
    --workers) workers=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    --duration|--conns|--threads) pass+=("$1" "${2:?}"); shift 2 ;;
    --requests) requests=${2:?}; shift 2 ;;
    --port) port=${2:?}; shift 2 ;;
    --transport) transports=${2:?}; shift 2 ;;
    --no-build) build=0; shift ;;
    --keep-peers) keep_peers=1; shift ;;
    -h|--help) usage ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
[[ $workers =~ ^[1-9][0-9]*$ && $port =~ ^[0-9]+$ && $job =~ ^(whole|proxy)$ ]] || usage
IFS=, read -r -a transport_list <<< "$transports"
. "$pb/common.sh"   # BACKEND_PORT, stop_pidfile
log() { echo "[gateway-bench] $*" >&2; }

# --- build the gateway jar in a folder of its own (other builds may run in target/) --------------
jar=$root/gateway-server/target-bench/gateway.jar
if [ "$build" = 1 ]; then
  log "building $jar"
  # shellcheck disable=SC2086
  (cd "$root" && mvn -B -q ${MVN_ARGS:-} -pl gateway-server -am -Dtarget.name=target-bench package -DskipTests)
fi
[ -f "$jar" ] || { log "no $jar (run without --no-build)"; exit 1; }

# --- the harness: the shared one, or a copy whose post.lua asks for a new connection each time -----
harness=$pb
if [ "$churn" = 1 ]; then
  harness=$PB_RUN/harness-churn
  mkdir -p "$PB_RUN" && rm -rf "$harness" && cp -r "$pb" "$harness"
  printf '%s\n' '-- added by peer-bench.sh --churn: one request per connection (the server closes it after answering)' \
    'wrk.headers["Connection"] = "close"' >> "$harness/conf/post.lua"
fi
PB_WORKERS=$workers "$pb/start.sh" >&2 || { log "the harness's start.sh failed"; exit 1; }

# --- TLS: one ECDSA P-256 certificate for every target, nginx and HAProxy terminating with it -------
scheme=http
stop_tls_peers() { :; }
if [ "$tls" = 1 ]; then
  scheme=https
  mkdir -p "$PB_RUN/tls"
  if [ ! -s "$PB_RUN/tls/haproxy.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=localhost \
      -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$PB_RUN/tls/key.pem" \
      -out "$PB_RUN/tls/cert.pem" 2>/dev/null
    cat "$PB_RUN/tls/cert.pem" "$PB_RUN/tls/key.pem" > "$PB_RUN/tls/haproxy.pem"
  fi
  # The harness's preflight uses curl: it trusts the certificate as its own CA.
  export CURL_CA_BUNDLE=$PB_RUN/tls/cert.pem
  # start_tls_peer NAME COMM PORT CONF START...: renders benchmarks/tls/CONF and starts it afresh (its pid
  # file is $PB_RUN/NAME/COMM.pid)
  start_tls_peer() {
    local name=$1 comm=$2 tport=$3 conf=$4
    shift 4
    mkdir -p "$PB_RUN/$name/tmp"
    sed -e "s|@RUN@|$PB_RUN|g" -e "s|@WORKERS@|$workers|g" -e "s|@PORT@|$tport|g" \
        -e "s|@BACKEND_PORT@|$BACKEND_PORT|g" "$here/tls/$conf" > "$PB_RUN/$name/$conf"
    stop_pidfile "$name" "$PB_RUN/$name/$comm.pid" "$comm" 2>/dev/null
    "$@" || { log "$name did not start"; exit 1; }
    for _ in $(seq 50); do ss -Hltn "sport = :$tport" | grep -q . && return 0; sleep 0.1; done
    log "$name is not listening on $tport"; exit 1
  }
  stop_tls_peers() {
    stop_pidfile nginx-tls "$PB_RUN/nginx-tls/nginx.pid" nginx >/dev/null 2>&1 || true
    stop_pidfile haproxy-tls "$PB_RUN/haproxy-tls/haproxy.pid" haproxy >/dev/null 2>&1 || true
  }
  start_tls_peer nginx-tls nginx 18091 nginx-tls.conf \
    nginx -q -p "$PB_RUN/nginx-tls" -e "$PB_RUN/nginx-tls/error.log" -c "$PB_RUN/nginx-tls/nginx-tls.conf"
  start_tls_peer haproxy-tls haproxy 18092 haproxy-tls.cfg haproxy -q -f "$PB_RUN/haproxy-tls/haproxy-tls.cfg"
fi

# --- configuration equivalent to the peers' ------------------------------------------------------
"$pb/gen-cidrs.sh" "$PB_RUN"
gw=$PB_RUN/gateway
mkdir -p "$gw"
resource=/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/peer-bench/providers/Microsoft.Web/sites/backend
# The validator refuses a prefix declared twice: keep the first of each (gen-cidrs.sh makes none).
awk 'NF && !seen[$1]++ { print $1 }' "$PB_RUN/cidrs.txt" > "$gw/cidrs.txt"
prefixes=$(wc -l < "$gw/cidrs.txt")
{
  echo "# generated by benchmarks/peer-bench.sh from $PB_RUN/cidrs.txt ($prefixes prefixes)"
  echo "- name: peer-bench-clients"
  echo "  groupId: sites"
  echo "  privateLinkResourceId: $resource"
  echo "  status: Approved"
  echo "  privateIps:"
  sed 's/.*/    - &/' "$gw/cidrs.txt"
} > "$gw/endpoints.yaml"
if [ "$job" = whole ]; then
  signalr="# the whole job: every call checked as SignalR's (post.lua signs connection id abc with bench-key)
signalr:
  accessKeys: [ bench-key ]
  requireSignature: true
  validateRequests: true"
else
  signalr="# the peers' job only: no SignalR checks
signalr:
  requireSignature: false
  validateRequests: false"
fi
listen_tls=""
[ "$tls" = 1 ] && listen_tls="
  tls:
    certificate: $PB_RUN/tls/cert.pem
    privateKey: $PB_RUN/tls/key.pem"
# write_config PORT FILE: the gateway's configuration, listening on PORT
write_config() {
  cat > "$2" <<YAML
# generated by benchmarks/peer-bench.sh: the peers' job (allow list, X-Forwarded-For, keep-alive pool)
listen:
  address: 127.0.0.1
  port: $1$listen_tls
admin:
  address: 127.0.0.1
  port: 0
  token: peer-bench
$signalr
upstreams:
  - name: backend
    resourceId: $resource
    url: http://127.0.0.1:$BACKEND_PORT
    # nginx and HAProxy cap only idle connections; the gateway's cap is on open ones, so it sits
    # above any --conns the harness uses.
    maxConnections: 1024
sharedPrivateEndpoints:
  file: endpoints.yaml
YAML
}

# --- one gateway per transport ----------------------------------------------------------------------
java=${GATEWAY_JAVA:-java}
# Parallel GC: short young pauses on 2 vCPUs and the least barrier cost; the heap is fixed and
# pre-touched so the run measures no heap growth.
jvm_opts=${GATEWAY_JVM_OPTS:--Xms1g -Xmx1g -XX:+UseParallelGC -XX:+AlwaysPreTouch}
# nginx and HAProxy run with access_log off in the harness: so does the gateway here.
export GATEWAY_ACCESS_LOG_LEVEL=OFF
gw_pids=() gw_names=() gw_urls=() took_list=()
stop_all() {
  local p
  for p in "${gw_pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$p" 2>/dev/null && { log "gateway $p ignored TERM, sending KILL"; kill -KILL "$p" 2>/dev/null || true; }
      log "gateway stopped (pid $p)"
    fi
  done
  rm -f "$gw"/*.pid
  stop_tls_peers
  if [ "$keep_peers" = 0 ]; then "$pb/stop.sh" >/dev/null 2>&1 || true; fi
}
trap stop_all EXIT
for k in "${!transport_list[@]}"; do
  t=${transport_list[$k]} p=$((port + k)) name=gateway
  [ "${#transport_list[@]}" -gt 1 ] && name=gw_$t
  if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then log "port $p is in use - pass --port"; exit 1; fi
  write_config "$p" "$gw/$name.yaml"
  # shellcheck disable=SC2086
  "$java" $jvm_opts -jar "$jar" run --config "$gw/$name.yaml" --threads "$workers" --transport "$t" \
    > "$gw/$name.out" 2> "$gw/$name.err" &
  gw_pids+=("$!")
  echo "$!" > "$gw/$name.pid"
  up=0
  for _ in $(seq 150); do
    kill -0 "${gw_pids[$k]}" 2>/dev/null || break
    if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then up=1; break; fi
    sleep 0.2
  done
  [ "$up" = 1 ] || { log "gateway $name did not start:"; cat "$gw/$name.err" >&2; exit 1; }
  # The transport the gateway took (auto names none), from its start-up line.
  took=""
  for _ in $(seq 50); do
    took=$(sed -n 's/.*proxy listening on .* (\([a-z_]*\) transport.*/\1/p' "$gw/$name.err" | head -1)
    [ -n "$took" ] && break; sleep 0.1
  done
  [ "$t" = auto ] && t="auto:${took:-unknown}"
  took_list+=("$name=$t")
  gw_names+=("$name")
  gw_urls+=("$scheme://127.0.0.1:$p/api/v1/hubs/chat")
  log "gateway $name: pid ${gw_pids[$k]} on ${gw_urls[$k]} ($workers event loops, transport $t)"
done
# profile.sh and ab.sh read gateway.yaml (plain HTTP): the first gateway's configuration.
[ "$tls" = 1 ] || [ "${gw_names[0]}" = gateway ] || cp "$gw/${gw_names[0]}.yaml" "$gw/gateway.yaml"
log "$prefixes prefixes; job $job, tls $tls, churn $churn; JVM: $jvm_opts"

# --- --resume: h2load instead of wrk ------------------------------------------------------------------
# resumed_rounds --target NAME=URL ...: warms up each target, then R rounds of h2load --h1 against each in
# turn, a new connection per request, each client resuming its TLS session; prints req/s per round, the
# medians and each gateway's ratios to nginx and HAProxy (medians of the per-round ratios). h2load's
# timed mode (-D) hangs when the server closes every connection, so each round is a count of requests.
resumed_rounds() {
  local names=() urls=() r i n conns=64 line rps ok sig body res
  while [ $# -gt 0 ]; do
    case $1 in --target) names+=("${2%%=*}"); urls+=("${2#*=}"); shift 2 ;; *) shift ;; esac
  done
  set -- "${pass[@]}"
  while [ $# -gt 0 ]; do
    case $1 in --conns) conns=$2 ;; esac
    shift 2
  done
  command -v h2load >/dev/null || { log "h2load missing (Debian's nghttp2-client; the harness's setup.sh)"; exit 2; }
  # post.lua's request: its body (the Lua concatenation, written out) and headers, signature included
  sig=$(sed -n 's/.*X-ASRS-Signature"\] = "\(sha256=[0-9a-f]*\)".*/\1/p' "$pb/conf/post.lua")
  body=$PB_RUN/resume-body.json
  printf '%s' '{"type":"message","hub":"chat","target":"broadcast","connectionId":"abc","userId":"user-000123",' \
    '"seq":42,"ts":"2025-01-01T00:00:00Z","payload":{"text":"hello from peer-bench, a small chat message"}}' > "$body"
  local h=(-H 'Content-Type: application/json' -H 'X-ASRS-Hub: chat' -H 'X-ASRS-Category: messages'
           -H 'X-ASRS-Event: broadcast' -H 'X-ASRS-Connection-Id: abc' -H "X-ASRS-Signature: $sig"
           -H 'X-Forwarded-For: 203.0.113.66' -H 'Connection: close')
  res=$PB_RUN/results/resume-$(date +%Y%m%d-%H%M%S)
  mkdir -p "$res"
  local warm=$((warmup * 1000))
  echo "# h2load --h1 -c$conns -n$requests, Connection: close, sessions resumed; rounds=$rounds warmup=$warm requests"
  for i in "${!names[@]}"; do
    h2load --h1 -c "$conns" -n "$warm" -d "$body" "${h[@]}" "${urls[$i]}" > "$res/warmup-${names[$i]}.txt" 2>&1
  done
  printf 'round\ttarget\trps\tsucceeded\tfailed\n' > "$res/runs.tsv"
  for r in $(seq "$rounds"); do
    for i in "${!names[@]}"; do
      n=${names[$i]}
      h2load --h1 -c "$conns" -n "$requests" -d "$body" "${h[@]}" "${urls[$i]}" > "$res/r$r-$n.txt" 2>&1
      rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$res/r$r-$n.txt")
      line=$(grep '^status codes:' "$res/r$r-$n.txt")
      ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded, \([0-9]*\) failed.*/\1 \2/p' "$res/r$r-$n.txt")
      printf '%s\t%s\t%s\t%s\t%s\n' "$r" "$n" "${rps:-NA}" ${ok:-NA NA} >> "$res/runs.tsv"
      log "round $r $n: ${rps:-NA} req/s ($line)"
      sleep 1
    done
  done
  awk -F'\t' -v gateways="${gw_names[*]}" '
    function median(list,   n, a, i, j, t) {
      n = split(list, a, " "); if (n == 0) return "NA"
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    NR == 1 || $3 == "NA" { next }
    { rps[$2] = rps[$2] " " $3; failed[$2] += $5; r[$2, $1] = $3; rounds[$1] = 1
      if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
    END {
      printf "\n%-9s %9s %8s\n", "target", "req/s", "failed"
      for (i = 1; i <= n; i++) printf "%-9s %9.0f %8d\n", order[i], median(rps[order[i]]), failed[order[i]]
      print ""
      ng = split(gateways, gws, " ")
      for (g = 1; g <= ng; g++) for (k = 1; k <= 2; k++) {
        gwn = gws[g]; peer = k == 1 ? "nginx" : "haproxy"; rl = ""; won = 0; total = 0
        for (x in rounds) if (((gwn, x) in r) && ((peer, x) in r) && r[peer, x] > 0) {
          rl = rl " " r[gwn, x] / r[peer, x]; total++; if (r[gwn, x] >= r[peer, x]) won++ }
        if (rl != "") printf "%s / %-8s throughput %.2fx   (more req/s in %d of %d rounds)\n", gwn, peer, median(rl), won, total
      }
    }' "$res/runs.tsv"
  echo "(raw: $res)"
}

# --- the shared harness, the gateways as extra targets -----------------------------------------------
targets=()
if [ "$tls" = 1 ]; then
  # The TLS peers keep the names nginx and haproxy, so that the harness's "vs nginx" still reads them.
  targets+=(--no-defaults --target "nginx=https://127.0.0.1:18091/api/v1/hubs/chat"
            --target "haproxy=https://127.0.0.1:18092/api/v1/hubs/chat")
  for n in nginx=18091 haproxy=18092 "${gw_names[0]}=$port"; do
    suite=$(openssl s_client -connect "127.0.0.1:${n#*=}" < /dev/null 2>/dev/null \
            | awk '/^New, / { v = $2 " " $5 } /^Server Temp Key/ { k = $4 } END { print v, k }')
    log "TLS of ${n%%=*}: $suite"
  done
fi
for k in "${!gw_names[@]}"; do targets+=(--target "${gw_names[$k]}=${gw_urls[$k]}"); done
out=$gw/run-$(date +%Y%m%d-%H%M%S).log
if [ "$resume" = 1 ]; then
  resumed_rounds "${targets[@]}" 2>&1 | tee "$out"
  exit 0
fi
"$harness/run.sh" --no-start --workers "$workers" --rounds "$rounds" --warmup "$warmup" "${pass[@]}" \
  "${targets[@]}" 2>&1 | tee "$out"
raw=$(sed -n 's/.*raw: \(.*\))$/\1/p' "$out" | tail -1)
[ -n "$raw" ] && [ -f "$raw/runs.tsv" ] || { log "no results from run.sh"; exit 1; }

# --- one table -----------------------------------------------------------------------------------------
{
  echo
  rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [ -n "$(git -C "$root" status --porcelain 2>/dev/null | head -1)" ] && rev="$rev+changes"
  echo "# gateway $rev | $("$java" -version 2>&1 | head -1) | $jvm_opts | ${took_list[*]} | workers=$workers" \
       "| job=$job tls=$tls churn=$churn | $(head -2 "$raw/meta.txt" | tail -1 | sed 's/^# //')"
  awk -F'\t' -v gateways="${gw_names[*]}" '
    function median(list,   n, a, i, j, t) {
      n = split(list, a, " "); if (n == 0) return "NA"
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    NR == 1 || $3 == "NA" { next }
    { rps[$2] = rps[$2] " " $3; p50[$2] = p50[$2] " " $4; p99[$2] = p99[$2] " " $5; cpu[$2] = cpu[$2] " " $9
      bad[$2] += $7 + $8; r[$2, $1] = $3; l[$2, $1] = $5; rounds[$1] = 1
      if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } }
    END {
      printf "%-9s %9s %8s %8s %9s %8s   %s\n", "target", "rps", "p50 ms", "p99 ms", "cpu us/r", "errors", \
             "(medians over rounds; errors: non-2xx + socket errors, all rounds)"
      for (i = 1; i <= n; i++) { t = order[i]
        printf "%-9s %9.0f %8.2f %8.2f %9.1f %8d\n", t, median(rps[t]), median(p50[t]), median(p99[t]),
               median(cpu[t]), bad[t] }
      print ""
      ng = split(gateways, gws, " ")
      for (g = 1; g <= ng; g++) for (k = 1; k <= 2; k++) {
        gwn = gws[g]; peer = k == 1 ? "nginx" : "haproxy"; rl = ""; ll = ""; won = 0; total = 0
        for (x in rounds) if (((gwn, x) in r) && ((peer, x) in r) && r[peer, x] > 0 && l[peer, x] > 0) {
          rl = rl " " r[gwn, x] / r[peer, x]; ll = ll " " l[gwn, x] / l[peer, x]; total++
          if (r[gwn, x] >= r[peer, x]) won++ }
        if (rl == "") { printf "%s / %-8s n/a\n", gwn, peer; continue }
        printf "%s / %-8s throughput %.2fx   p99 %.2fx   (more rps in %d of %d rounds)\n",
               gwn, peer, median(rl), median(ll), won, total }
      print "(ratios: medians of the per-round ratios; p99 below 1 is better)"
    }' "$raw/runs.tsv"
  echo "(raw: $raw)"
} | tee "$gw/table.txt"
