#!/usr/bin/env bash
# profile.sh - where the gateway's CPU goes under the load benchmark's load (issue 6, part 3).
#
#   benchmarks/profile.sh [--seconds S] [--conns N] [--out DIR] [--transport NAME] [--churn]
#   defaults: --seconds 20 --conns 64 --out /tmp/gateway-profile --transport auto
#   --churn: a new connection per request (the harness's request with "Connection: close")
#
# Runs gateway-server/target-bench/gateway.jar (build it with peer-bench.sh, or without --no-build)
# on the configuration peer-bench.sh wrote to $PB_RUN/gateway/ (run peer-bench.sh once first; the
# backend on :18080 must be up: ../shared/tools/peer-bench/start.sh), with async-profiler attached as
# an agent (fetched by Maven as tools.profiler:async-profiler:4.1:linux-x64), warms it up with wrk for
# 15 s, profiles S seconds of wrk -t1 -cN with the harness's request, and prints the shares of kernel,
# JIT-compiled Java and the JVM, and the hottest frames (self time). The collapsed stacks stay in DIR
# (profile.txt, one line per stack: feed it to flamegraph.pl or async-profiler's converter).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/bench-env.sh"
seconds=20 conns=64 out=/tmp/gateway-profile transport=auto churn=0
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=${2:?}; shift 2 ;;
    --conns) conns=${2:?}; shift 2 ;;
    --transport) transport=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --churn) churn=1; shift ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
jar=$root/gateway-server/target-bench/gateway.jar
config=$PB_RUN/gateway/gateway.yaml
require_files profile.sh "$jar" "$config"
port=$(listen_port "$config")
require_backend profile.sh "$config"

lua=$pb/conf/post.lua
if [ "$churn" = 1 ]; then
  mkdir -p "$out"
  lua=$out/post-close.lua
  { cat "$pb/conf/post.lua"; echo 'wrk.headers["Connection"] = "close"'; } > "$lua"
fi

# async-profiler's agent, from Maven Central's native jar.
ap=$HOME/.m2/repository/tools/profiler/async-profiler/4.1/async-profiler-4.1-linux-x64.jar
[ -f "$ap" ] || mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:4.1:jar:linux-x64
mkdir -p "$out/agent"
unzip -o -q "$ap" 'linux-x64/*' -d "$out/agent"
agent=$out/agent/linux-x64/libasyncProfiler.so

# The agent starts with the JVM and writes one file per loop; warm-up and measurement are timed so
# that loop 1 covers the measured load only.
warmup=15
rm -f "$out"/loop-*.txt
t0=$(date +%s)
GATEWAY_ACCESS_LOG_LEVEL=OFF java -Xms1g -Xmx1g -XX:+UseParallelGC -XX:+AlwaysPreTouch \
  "-agentpath:$agent=start,event=cpu,interval=1000000,loop=${seconds}s,file=$out/loop-%n.txt,collapsed" \
  -jar "$jar" run --config "$config" --threads 1 --transport "$transport" > "$out/gateway.out" 2> "$out/gateway.err" &
gw=$!
trap 'kill $gw 2>/dev/null || true' EXIT
for _ in $(seq 150); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.2; done
url=http://127.0.0.1:$port/api/v1/hubs/chat
wrk -t1 -c"$conns" -d${warmup}s -s "$lua" "$url" > /dev/null
# Start measuring with the profiler's next loop, so that it covers the measured load only.
loop=$(( ($(date +%s) - t0) / seconds + 1 ))
sleep $(( t0 + loop * seconds - $(date +%s) ))
wrk -t1 -c"$conns" -d${seconds}s -s "$lua" "$url" | grep -E 'Requests/sec|Latency'
sleep 1
kill -TERM $gw; wait $gw || true
trap - EXIT
profile=$out/loop-$loop.txt
[ -f "$profile" ] || { echo "profile.sh: the profiler wrote no $profile" >&2; exit 1; }
cp "$profile" "$out/profile.txt"
python3 - "$out/profile.txt" <<'EOF'
import collections, sys
total = 0; cats = collections.Counter(); leaf = collections.Counter()
for line in open(sys.argv[1]):
    stack, n = line.rstrip().rsplit(' ', 1); n = int(n); total += n
    top = stack.split(';')[-1]
    cats['kernel' if top.endswith('_[k]') else 'java' if '/' in top else 'jvm/native'] += n
    leaf[top] += n
print(f"samples {total}: " + ", ".join(f"{k} {v * 100 / total:.1f} %" for k, v in cats.most_common()))
for k, v in leaf.most_common(25):
    print(f"{v * 100 / total:5.1f} %  {k}")
EOF
echo "collapsed stacks: $out/profile.txt"
