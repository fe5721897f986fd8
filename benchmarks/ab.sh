#!/usr/bin/env bash
# ab.sh - two gateways side by side under the load benchmark's load, to tell a change from the drift
# of a shared machine (issue 6, part 3).
#
#   benchmarks/ab.sh [--jar-a JAR] [--jar-b JAR] [--transport-a NAME] [--transport-b NAME]
#                    [--rounds R] [--warmup S] [--duration S] [--conns N]
#   defaults: both jars gateway-server/target-bench/gateway.jar, both transports epoll, --rounds 4
#   --warmup 30 --duration 10 --conns 64; JVM_OPTS_A / JVM_OPTS_B add JVM flags to one side
#
# Starts gateway A on the configuration's port (18083 unless peer-bench.sh had --port) and gateway B on
# the next one, both with the configuration
# peer-bench.sh wrote to $PB_RUN/gateway/ (run it once first; the backend on :18080 must be up:
# ../shared/tools/peer-bench/start.sh) and one event loop, warms both up with wrk, then runs
# alternating wrk rounds (A, B, A, B, ...) with the harness's request. Per round: requests/s, p50, p90,
# p99, the gateway's CPU per request (user + system, from /proc) and how often per second its event loop
# was preempted (involuntary context switches). Alternating within one run is what makes the two
# columns comparable: on the 2-vCPU VM of benchmarks/README.md the rate of the same build moves by
# 10 to 50 % between minutes.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/bench-env.sh"
jar_a=$root/gateway-server/target-bench/gateway.jar jar_b=$jar_a
transport_a=epoll transport_b=epoll rounds=4 warmup=30 duration=10 conns=64
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --jar-a) jar_a=${2:?}; shift 2 ;;
    --jar-b) jar_b=${2:?}; shift 2 ;;
    --transport-a) transport_a=${2:?}; shift 2 ;;
    --transport-b) transport_b=${2:?}; shift 2 ;;
    --rounds) rounds=${2:?}; shift 2 ;;
    --warmup) warmup=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    --conns) conns=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
done
for n in "$rounds" "$warmup" "$duration" "$conns"; do [[ $n =~ ^[1-9][0-9]*$ ]] || usage; done
config=$PB_RUN/gateway/gateway.yaml
require_files ab.sh "$jar_a" "$jar_b" "$config"
require_backend ab.sh "$config"
port_a=$(listen_port "$config")
port_b=$((port_a + 1))
for port in "$port_a" "$port_b"; do
  ! ss -Hltn "sport = :$port" | grep -q . || { echo "ab.sh: port $port is in use" >&2; exit 1; }
done

# B's configuration: A's on the next port.
sed "s/^\(  port: \)$port_a\$/\1$port_b/" "$config" > "$PB_RUN/gateway/gateway-b.yaml"
jvm="-Xms1g -Xmx1g -XX:+UseParallelGC -XX:+AlwaysPreTouch"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
start() { # NAME JAR CONFIG TRANSPORT EXTRA_JVM_OPTS
  # shellcheck disable=SC2086
  GATEWAY_ACCESS_LOG_LEVEL=OFF java $jvm $5 -jar "$2" run --config "$3" --threads 1 --transport "$4" \
    > "$PB_RUN/gateway/ab-$1.out" 2> "$PB_RUN/gateway/ab-$1.err" &
  pids+=($!)
}
start a "$jar_a" "$config" "$transport_a" "${JVM_OPTS_A:-}"
start b "$jar_b" "$PB_RUN/gateway/gateway-b.yaml" "$transport_b" "${JVM_OPTS_B:-}"
for _ in $(seq 150); do
  ss -Hltn "sport = :$port_a" | grep -q . && ss -Hltn "sport = :$port_b" | grep -q . && break
  sleep 0.2
done
for i in 0 1; do
  kill -0 "${pids[$i]}" 2>/dev/null || { echo "ab.sh: gateway $i did not start:" >&2; cat "$PB_RUN/gateway/ab-$([ $i = 0 ] && echo a || echo b).err" >&2; exit 1; }
done

lua=$pb/conf/post.lua
path=/api/v1/hubs/chat
tck=$(getconf CLK_TCK)
cpu_ticks() { cut -d')' -f2- "/proc/$1/stat" | awk '{print $12 + $13}'; }
preemptions() { # involuntary context switches of the gateway's event loop thread(s)
  local n=0 t
  for t in /proc/"$1"/task/*; do
    case $(cat "$t/comm") in gateway-io-*) n=$((n + $(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$t/status"))) ;; esac
  done
  echo "$n"
}
for port in "$port_a" "$port_b"; do
  wrk -t1 -c"$conns" -d"${warmup}s" -s "$lua" "http://127.0.0.1:$port$path" > /dev/null
done
echo "# A: $jar_a ($transport_a) ${JVM_OPTS_A:-}"
echo "# B: $jar_b ($transport_b) ${JVM_OPTS_B:-}"
echo "# wrk -t1 -c$conns -d${duration}s --latency, rounds alternate A and B"
printf '%-6s %8s %7s %7s %7s %8s %10s\n' round rps p50_ms p90_ms p99_ms cpu_us/r preempt/s
for r in $(seq "$rounds"); do
  for side in A B; do
    if [ $side = A ]; then pid=${pids[0]} port=$port_a; else pid=${pids[1]} port=$port_b; fi
    c0=$(cpu_ticks "$pid") p0=$(preemptions "$pid")
    out=$(wrk -t1 -c"$conns" -d"${duration}s" --latency -s "$lua" "http://127.0.0.1:$port$path")
    c1=$(cpu_ticks "$pid") p1=$(preemptions "$pid")
    echo "$out" | awk -v name="$side$r" -v dc=$((c1 - c0)) -v dp=$((p1 - p0)) -v tck="$tck" -v d="$duration" '
      function ms(v) { return v ~ /us$/ ? v / 1000 : v ~ /ms$/ ? v + 0 : v * 1000 }
      / requests in / { n = $1 } /Requests\/sec/ { rps = $2 }
      $1 == "50%" { p50 = ms($2) } $1 == "90%" { p90 = ms($2) } $1 == "99%" { p99 = ms($2) }
      END { printf "%-6s %8.0f %7.2f %7.2f %7.2f %8.1f %10.0f\n", name, rps, p50, p90, p99,
                   dc * 1e6 / tck / n, dp / d }'
  done
done
