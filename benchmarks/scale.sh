#!/usr/bin/env bash
# Issue 18's "Scale" numbers, each a curve against size; tables, CSV, JMH JSON and SVG plots in $SCALE_OUT.
# Not part of `mvn verify`. Loopback only. Run it on a quiet machine: every part is timing-sensitive.
#
#   benchmarks/scale.sh                          # everything, full sizes (about 15 minutes)
#   SCALE_QUICK=1 benchmarks/scale.sh            # a smoke test: small sizes, short runs (about 2 minutes)
#   SCALE_PARTS=reload,storm benchmarks/scale.sh # some of: decision, memory, reload, storm, idle
#   SCALE_SKIP_BUILD=1 ...                       # reuse the jars of -Dtarget.name=$SCALE_TARGET
#
# Parts:
#   decision  JMH AccessDecisionBenchmark.decide at $SCALE_DECISION_SIZES prefixes, -prof gc, JSON results
#   memory    bench.SnapshotMemory: heap retained by a policy snapshot, and check + compile time, per size
#   reload    a gateway process with a file store of N endpoints (each of $SCALE_RELOAD_SIZES): the whole file
#             rewritten with $SCALE_RELOAD_CHANGED endpoints changed (default 1,all: an approval, and every
#             endpoint), time until in force (bench.scale.ReloadDriver), 5 per N and change
#   storm     wrk against a gateway with $SCALE_STORM_ENDPOINTS endpoints: $SCALE_STORM_ROUNDS rounds of steady,
#             then while the file is rewritten back to back ($SCALE_STORM_CHANGED endpoints changed each time,
#             default all); p99 of each, their medians and ratio (needs the peer-bench backend on 18080:
#             /work/shared/tools/peer-bench/start.sh)
#   idle      idle client connections held from processes apart (bench.scale.IdleBench), the gateway's heap
#             after full GC per connection, pooled direct memory and RSS, at $SCALE_IDLE_SIZES connections
set -euo pipefail

cd "$(dirname "$0")/.."
TARGET=${SCALE_TARGET:-target-scale}
OUT=${SCALE_OUT:-/tmp/scale-bench}
PARTS=${SCALE_PARTS:-decision,memory,reload,storm,idle}
BACKEND=${SCALE_BACKEND:-127.0.0.1:18080}
WRK_THREADS=${SCALE_WRK_THREADS:-1}
WRK_CONNS=${SCALE_WRK_CONNS:-16}
IDLE_PER_PROCESS=${SCALE_IDLE_PER_PROCESS:-9000}
if [[ -n "${SCALE_QUICK:-}" ]]; then
  DECISION_SIZES=${SCALE_DECISION_SIZES:-10000,100000}
  JMH_OPTS=${SCALE_JMH_OPTS:--f 1 -wi 1 -i 1 -w 1s -r 1s}
  MEMORY_SIZES=${SCALE_MEMORY_SIZES:-10000,100000}
  MEMORY_REPEATS=${SCALE_MEMORY_REPEATS:-1}
  RELOAD_SIZES=${SCALE_RELOAD_SIZES:-1000,10000}
  RELOAD_REPEATS=${SCALE_RELOAD_REPEATS:-2}
  STORM_ENDPOINTS=${SCALE_STORM_ENDPOINTS:-10000}
  STORM_SECONDS=${SCALE_STORM_SECONDS:-5}
  STORM_ROUNDS=${SCALE_STORM_ROUNDS:-1}
  IDLE_SIZES=${SCALE_IDLE_SIZES:-1000,2000}
else
  DECISION_SIZES=${SCALE_DECISION_SIZES:-10000,100000,1000000}
  JMH_OPTS=${SCALE_JMH_OPTS:--f 2 -wi 3 -i 4 -w 2s -r 2s}
  MEMORY_SIZES=${SCALE_MEMORY_SIZES:-10000,100000,1000000}
  MEMORY_REPEATS=${SCALE_MEMORY_REPEATS:-3}
  RELOAD_SIZES=${SCALE_RELOAD_SIZES:-1000,10000,100000}
  RELOAD_REPEATS=${SCALE_RELOAD_REPEATS:-5}
  STORM_ENDPOINTS=${SCALE_STORM_ENDPOINTS:-100000}
  STORM_SECONDS=${SCALE_STORM_SECONDS:-20}
  STORM_ROUNDS=${SCALE_STORM_ROUNDS:-3}
  IDLE_SIZES=${SCALE_IDLE_SIZES:-1000,5000,10000,15000,19000}
fi
# The gateway's JVM, as peer-bench.sh runs it (a fixed, pre-touched heap; Parallel GC).
# reload: how many endpoints each rewrite changes ("all", or the first K: 1 is an approval); storm: the same
RELOAD_CHANGED=${SCALE_RELOAD_CHANGED:-1,all}
STORM_CHANGED=${SCALE_STORM_CHANGED:-all}
GATEWAY_JVM_OPTS=${SCALE_GATEWAY_JVM_OPTS:--Xms1g -Xmx1g -XX:+UseParallelGC -XX:+AlwaysPreTouch}
export GATEWAY_ACCESS_LOG_LEVEL=OFF

has_part() { [[ ",$PARTS," == *",$1,"* ]]; }
log() { printf '%s %s\n' "$(date -u +%T)" "$*" >&2; }

if [[ -z "${SCALE_SKIP_BUILD:-}" ]]; then
  log "building gateway.jar and benchmarks.jar (-Dtarget.name=$TARGET)"
  mvn -B -q -o -pl gateway-server,benchmarks -am -Dtarget.name="$TARGET" -DskipTests package \
    || mvn -B -q -pl gateway-server,benchmarks -am -Dtarget.name="$TARGET" -DskipTests package
fi
GATEWAY_JAR=gateway-server/$TARGET/gateway.jar
BENCH_JAR=benchmarks/$TARGET/benchmarks.jar
PLOT=benchmarks/scale-plot.py
mkdir -p "$OUT"
work=$(mktemp -d)
gateway_pid=
cleanup() {
  stop_gateway
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { java -cp "$BENCH_JAR" dev.privateupstream.bench.soak.FreePort; }

RES=/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/scale/providers/Microsoft.Web/sites/scale

# start_gateway ENDPOINTS: a gateway in $work/gw with a file store of ENDPOINTS endpoints (the first one,
# 127.0.0.0/8, approved for the load and the idle clients); sets gateway_pid, proxy_port, admin_port.
start_gateway() {
  local endpoints=$1 gw=$work/gw
  rm -rf "$gw" && mkdir -p "$gw"
  proxy_port=$(free_port)
  admin_port=$(free_port)
  # idleTimeout is raised from its 60 s default so the idle part's connections stay while it measures.
  cat > "$gw/gateway.yaml" <<YAML
listen:
  address: 127.0.0.1
  port: $proxy_port
limits:
  idleTimeout: 1h
admin:
  address: 127.0.0.1
  port: $admin_port
  token: scale-token
signalr:
  requireSignature: false
  validateRequests: false
upstreams:
  - name: scale
    resourceId: $RES
    url: http://$BACKEND
    maxConnections: 1024
sharedPrivateEndpoints:
  file: endpoints.yaml
YAML
  java -cp "$BENCH_JAR" dev.privateupstream.bench.scale.ReloadDriver write "$gw/endpoints.yaml" "$endpoints" "$RES"
  # shellcheck disable=SC2086
  java $GATEWAY_JVM_OPTS -jar "$GATEWAY_JAR" run --config "$gw/gateway.yaml" > "$gw/gateway.out" 2> "$gw/gateway.log" &
  gateway_pid=$!
  for _ in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$admin_port/readyz" > /dev/null 2>&1; then
      log "gateway pid $gateway_pid on 127.0.0.1:$proxy_port (admin $admin_port), $endpoints endpoints," \
        "$(sed -n 's/.*proxy listening on .* (\([a-z_]*\) transport.*/\1/p' "$gw/gateway.log" | head -1) transport"
      return 0
    fi
    kill -0 "$gateway_pid" 2>/dev/null || break
    sleep 0.2
  done
  log "the gateway did not become ready:"; tail -30 "$gw/gateway.log" >&2
  exit 1
}

stop_gateway() {
  if [[ -n "$gateway_pid" ]] && kill -0 "$gateway_pid" 2>/dev/null; then
    kill -TERM "$gateway_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$gateway_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$gateway_pid" 2>/dev/null || true
    wait "$gateway_pid" 2>/dev/null || true
  fi
  gateway_pid=
}

# reloads_applied: the gateway's gateway_config_reloads_total{result="applied"}, a whole number.
reloads_applied() {
  curl -fsS "http://127.0.0.1:$admin_port/metrics" \
    | awk '/^gateway_config_reloads_total\{/ && /result="applied"/ { printf "%d\n", $NF }'
}

# p99_ms FILE: wrk --latency's 99th percentile in milliseconds.
p99_ms() {
  awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000
                        return v }
       /Latency Distribution/ { d = 1 } d && $1 == "99%" { print ms($2); exit }' "$1"
}
# wrk_summary FILE: "requests/s non-2xx socket-errors".
wrk_summary() {
  awk '/^Requests\/sec:/ { r = $2 } /Non-2xx or 3xx responses:/ { n = $NF }
       /Socket errors:/ { gsub(/,/, ""); e = $4 + $6 + $8 + $10 } END { printf "%s %d %d\n", r, n, e }' "$1"
}

quick=
[[ -n "${SCALE_QUICK:-}" ]] && quick=", SCALE_QUICK (smoke sizes)"
echo "# scale.sh $(date -u '+%F %T') UTC, commit $(git rev-parse --short HEAD)$(git diff --quiet || echo '+changes')," \
  "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)$quick" | tee "$OUT/summary.md"

if has_part decision; then
  log "decision: JMH AccessDecisionBenchmark.decide at $DECISION_SIZES prefixes ($JMH_OPTS -prof gc)"
  # shellcheck disable=SC2086
  java -jar "$BENCH_JAR" 'AccessDecisionBenchmark.decide$' -p prefixes="$DECISION_SIZES" -p caller=v4,v6,public \
    $JMH_OPTS -prof gc -rf json -rff "$OUT/decision.json" > "$OUT/decision.txt" 2>&1 \
    || { tail -40 "$OUT/decision.txt"; exit 1; }
  python3 "$PLOT" jmh "$OUT/decision.json" "$OUT/decision.csv"
  {
    echo; echo "## Decision (AccessDecisionBenchmark.decide, $JMH_OPTS -prof gc)"; echo
    echo "| prefixes | caller | ns/op | ± | B/op |"; echo "| ---: | --- | ---: | ---: | ---: |"
    tail -n +2 "$OUT/decision.csv" | sort -t, -k3,3n -k2,2 \
      | awk -F, '{ printf "| %d | %s | %s | %s | %s |\n", $3, $2, $4, $5, $6 }'
  } | tee -a "$OUT/summary.md"
  python3 "$PLOT" svg --csv "$OUT/decision.csv" --x prefixes --y ns_per_op --series caller --logx \
    --target "100:target 100 ns" --title "Access decision against prefixes (JMH, 1,024 callers in turn)" \
    --xlabel prefixes --ylabel "ns per decision" --out "$OUT/decision.svg"
fi

if has_part memory; then
  log "memory: SnapshotMemory at $MEMORY_SIZES prefixes, $MEMORY_REPEATS repeats"
  {
    echo; echo "## Snapshot memory and compile time (bench.SnapshotMemory, median of $MEMORY_REPEATS)"; echo
    java -Xms4g -Xmx4g -XX:+UseParallelGC -cp "$BENCH_JAR" dev.privateupstream.bench.SnapshotMemory \
      "$MEMORY_SIZES" "$MEMORY_REPEATS" "$OUT/memory.csv"
  } | tee -a "$OUT/summary.md"
  awk -F, 'NR == 1 { print "prefixes,what,mib"; next }
           { printf "%s,endpoint records,%.2f\n%s,compiled tables,%.2f\n%s,snapshot in all,%.2f\n",
             $1, $3 / 1048576, $1, $4 / 1048576, $1, $5 / 1048576 }' "$OUT/memory.csv" > "$OUT/memory-mib.csv"
  python3 "$PLOT" svg --csv "$OUT/memory-mib.csv" --x prefixes --y mib --series what --logx \
    --title "Heap retained by one policy snapshot" --xlabel prefixes --ylabel MiB --out "$OUT/memory.svg"
  python3 "$PLOT" svg --csv "$OUT/memory.csv" --x prefixes --y compile_ms_median --logx \
    --title "Compile time of a policy snapshot (PolicySnapshot.of), median" --xlabel prefixes --ylabel ms \
    --out "$OUT/compile.svg"
fi

if has_part reload; then
  {
    echo; echo "## Reload of the endpoints file (bench.scale.ReloadDriver, $RELOAD_REPEATS per size and change)"; echo
    echo "| endpoints | prefixes | endpoints changed | in force after, median | max |"
    echo "| ---: | ---: | ---: | ---: | ---: |"
  } | tee -a "$OUT/summary.md"
  IFS=, read -ra sizes <<< "$RELOAD_SIZES"
  IFS=, read -ra changes <<< "$RELOAD_CHANGED"
  for c in "${changes[@]}"; do echo "kind,endpoints,index,ms" > "$OUT/reload-$c.csv"; done
  for n in "${sizes[@]}"; do
    start_gateway "$n"
    for c in "${changes[@]}"; do
      changed=()
      [[ $c == all ]] || changed=("-Dscale.changed=$c")
      java "${changed[@]}" -cp "$BENCH_JAR" dev.privateupstream.bench.scale.ReloadDriver reload "$admin_port" \
        "$work/gw/endpoints.yaml" "$n" "$RES" "$RELOAD_REPEATS" "$OUT/reload-$c.csv" | tee "$work/reload.txt" >&2
      awk -v n="$n" -v c="$c" '/^RESULT/ { split($5, m, "="); split($6, x, "=");
        printf "| %d | %d | %s | %s ms | %s ms |\n", n, 4 * (n - 1) + 1, c, m[2], x[2] }' "$work/reload.txt" \
        | tee -a "$OUT/summary.md"
    done
    stop_gateway
  done
  for c in "${changes[@]}"; do
    python3 "$PLOT" svg --csv "$OUT/reload-$c.csv" --where kind=reload --x endpoints --y ms --agg median,max --logx \
      --target "500:target 500 ms" --title "Endpoints file rewritten, $c endpoint(s) changed: time until in force" \
      --xlabel "endpoints (4 prefixes each)" --ylabel ms --out "$OUT/reload-$c.svg"
  done
fi

if has_part storm; then
  curl -fsS -o /dev/null "http://$BACKEND/" \
    || { log "storm: http://$BACKEND/ does not answer: start it with /work/shared/tools/peer-bench/start.sh"; exit 1; }
  lua=/work/shared/tools/peer-bench/conf/post.lua
  [[ -f ../shared/tools/peer-bench/conf/post.lua ]] && lua=../shared/tools/peer-bench/conf/post.lua
  start_gateway "$STORM_ENDPOINTS"
  url=http://127.0.0.1:$proxy_port/api/v1/hubs/chat
  log "storm: ${STORM_SECONDS}s of warm-up with reloads, then $STORM_ROUNDS rounds of ${STORM_SECONDS}s steady and" \
    "${STORM_SECONDS}s of back-to-back reloads of $STORM_ENDPOINTS endpoints (wrk -t$WRK_THREADS -c$WRK_CONNS)"
  storm_changed=()
  [[ $STORM_CHANGED == all ]] || storm_changed=("-Dscale.changed=$STORM_CHANGED")
  # One driver for the whole part, reloading back to back except while $work/pause exists; the first reload is
  # in force before the warm-up starts (the driver renders two versions of the file first).
  echo "kind,endpoints,index,ms" > "$OUT/storm-reloads.csv"
  # shellcheck disable=SC2086
  java "${storm_changed[@]}" ${SCALE_DRIVER_OPTS:-} -cp "$BENCH_JAR" dev.privateupstream.bench.scale.ReloadDriver \
    storm "$admin_port" "$work/gw/endpoints.yaml" "$STORM_ENDPOINTS" "$RES" \
    "$(( (2 * STORM_ROUNDS + 2) * STORM_SECONDS + 300 ))" "$OUT/storm-reloads.csv" "$work/storm.stop" \
    "$work/pause" > "$work/storm.txt" 2>&1 &
  storm_pid=$!
  # wait_for CONDITION: polls it every 0.1 s while the driver lives (3 minutes at most).
  wait_for() {
    for _ in $(seq 1 1800); do
      eval "$1" && return 0
      kill -0 "$storm_pid" 2>/dev/null || { cat "$work/storm.txt"; exit 1; }
      sleep 0.1
    done
    log "storm: timed out waiting for: $1"; exit 1
  }
  wait_for '(( $(wc -l < "$OUT/storm-reloads.csv") > 1 ))'
  # The warm-up runs reloads too: what the storm measures is the reloads' cost to the traffic, not the JIT
  # compiling the reload's code for the first time (the compiler thread took a tenth of a CPU for the first
  # 20 s of reloads, and a sixth as much after a minute).
  wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$STORM_SECONDS"s -s "$lua" "$url" > "$OUT/storm-warmup.txt" 2>&1
  # Steady and storm alternate: on this VM a steady p99 moves between 0.6 and 2.6 ms from one 20 s run to the
  # next, and one pair of runs says little; the medians of several say more.
  reloads_during=0
  : > "$work/rounds.txt"
  for round in $(seq 1 "$STORM_ROUNDS"); do
    touch "$work/pause"
    wait_for '[[ -f "$work/pause.held" ]]'
    wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$STORM_SECONDS"s --latency -s "$lua" "$url" \
      > "$OUT/storm-steady-$round.txt" 2>&1
    done_before=$(wc -l < "$OUT/storm-reloads.csv")
    rm -f "$work/pause"
    wait_for '(( $(wc -l < "$OUT/storm-reloads.csv") > done_before ))'
    reloads_before=$(reloads_applied)
    wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$STORM_SECONDS"s --latency -s "$lua" "$url" \
      > "$OUT/storm-reloading-$round.txt" 2>&1
    reloads=$(( $(reloads_applied) - reloads_before ))
    reloads_during=$(( reloads_during + reloads ))
    read -r rps_s non2xx_s err_s < <(wrk_summary "$OUT/storm-steady-$round.txt")
    read -r rps_r non2xx_r err_r < <(wrk_summary "$OUT/storm-reloading-$round.txt")
    echo "$round $(p99_ms "$OUT/storm-steady-$round.txt") $(p99_ms "$OUT/storm-reloading-$round.txt") $rps_s $rps_r" \
      "$((non2xx_s + non2xx_r)) $((err_s + err_r)) $reloads" >> "$work/rounds.txt"
  done
  touch "$work/storm.stop"
  wait "$storm_pid" || { cat "$work/storm.txt"; exit 1; }
  stop_gateway
  {
    echo
    echo "## Reload storm ($STORM_ENDPOINTS endpoints, wrk -t$WRK_THREADS -c$WRK_CONNS, $STORM_ROUNDS rounds of" \
      "${STORM_SECONDS}s steady then ${STORM_SECONDS}s of back-to-back reloads)"
    echo
    echo "| round | steady p99 | p99 while reloading | ratio | requests/s steady | requests/s reloading |" \
      "non-2xx | socket errors | reloads in force |"
    echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    awk '{ printf "| %d | %s ms | %s ms | %.2f | %s | %s | %d | %d | %d |\n", $1, $2, $3, $3 / $2, $4, $5, $6, $7, $8 }' \
      "$work/rounds.txt"
    echo
    median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
    steady=$(awk '{ print $2 }' "$work/rounds.txt" | median)
    storm=$(awk '{ print $3 }' "$work/rounds.txt" | median)
    awk -v s="$steady" -v r="$storm" 'BEGIN { printf "median p99: steady %s ms, reloading %s ms, ratio %.2f" \
      " (target: at most 2)\n", s, r, r / s }'
    echo "reloads put in force during the reloading runs (gateway_config_reloads_total): $reloads_during;" \
      "$(awk '/^RESULT/ { split($4, c, "="); split($5, m, "="); split($6, x, "=")
         printf "%s in all (warm-up included), each in force after median %s ms, max %s ms",
           c[2], m[2], x[2] }' "$work/storm.txt")"
  } | tee -a "$OUT/summary.md"
fi

if has_part idle; then
  log "idle: $IDLE_SIZES idle connections (ulimit -Hn $(ulimit -Hn): a process holds fewer than that)"
  ulimit -n "$(ulimit -Hn)"
  start_gateway 1000
  rm -f "$OUT/idle.csv"
  {
    echo; echo "## Idle client connections (bench.scale.IdleBench; ulimit -Hn $(ulimit -Hn) per process)"; echo
    java -Xmx256m -cp "$BENCH_JAR" dev.privateupstream.bench.scale.IdleBench "$gateway_pid" "$proxy_port" \
      "$admin_port" "$IDLE_SIZES" "$IDLE_PER_PROCESS" "$OUT/idle.csv"
  } | tee -a "$OUT/summary.md"
  stop_gateway
  awk -F, 'NR == 1 { print "connections,bytes"; next } { print $1 "," $6 }' "$OUT/idle.csv" > "$OUT/idle-plot.csv"
  python3 "$PLOT" svg --csv "$OUT/idle-plot.csv" --x connections --y bytes --target "4096:target 4 KiB" \
    --title "Gateway heap per idle client connection (after full GC)" --xlabel "idle connections" \
    --ylabel "bytes per connection" --out "$OUT/idle.svg"
fi

log "done: $OUT/summary.md, CSV, JSON and SVG in $OUT"
