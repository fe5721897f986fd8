#!/usr/bin/env bash
# The endpoint store's numbers (issue 16): convergence between two replicas over a real 3-member etcd
# cluster on loopback, and the cost of one admin write and of one whole reload for both stores at growing
# sizes. Not part of `mvn verify`. Loopback only. Needs Debian's etcd-server (.ci/run installs it).
#
#   benchmarks/store-bench.sh                          # convergence over 100 approvals, then 1,000/10,000/100,000
#   STORE_BENCH_SIZES=1000,10000 benchmarks/store-bench.sh
#   STORE_BENCH_APPROVALS=300 STORE_BENCH_SKIP_BUILD=1 benchmarks/store-bench.sh
set -euo pipefail

cd "$(dirname "$0")/.."
TARGET=${STORE_BENCH_TARGET:-target-store-bench}
SIZES=${STORE_BENCH_SIZES:-1000,10000,100000}
APPROVALS=${STORE_BENCH_APPROVALS:-100}
command -v etcd >/dev/null || { echo "store-bench.sh: etcd is not installed (apt-get install etcd-server)" >&2; exit 1; }

if [[ -z "${STORE_BENCH_SKIP_BUILD:-}" ]]; then
  echo "building the gateway and the benchmark classes (-Dtarget.name=$TARGET)"
  mvn -B -q -pl gateway-server,benchmarks -am -Dtarget.name="$TARGET" -DskipTests package
fi
CP="benchmarks/$TARGET/benchmarks.jar"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  java -cp "$CP" dev.privateupstream.bench.soak.FreePort
}

# Three members, each with its own data directory and a client and a peer port; the same flags the
# tests' EtcdCluster and the deploy/ StatefulSet use for transaction size.
declare -a client peer
for i in 1 2 3; do client[$i]=$(free_port); peer[$i]=$(free_port); done
cluster="m1=http://127.0.0.1:${peer[1]},m2=http://127.0.0.1:${peer[2]},m3=http://127.0.0.1:${peer[3]}"
urls=""
for i in 1 2 3; do
  etcd --name "m$i" --data-dir "$work/m$i" \
    --listen-client-urls "http://127.0.0.1:${client[$i]}" --advertise-client-urls "http://127.0.0.1:${client[$i]}" \
    --listen-peer-urls "http://127.0.0.1:${peer[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${peer[$i]}" \
    --initial-cluster "$cluster" --initial-cluster-token store-bench --initial-cluster-state new \
    --max-txn-ops 10000 --max-request-bytes 10485760 --quota-backend-bytes 4294967296 \
    --logger zap --log-outputs "$work/m$i.log" >/dev/null 2>&1 &
  pids+=($!)
  urls="${urls:+$urls,}http://127.0.0.1:${client[$i]}"
done
for _ in $(seq 1 100); do
  healthy=0
  for i in 1 2 3; do curl -fsS "http://127.0.0.1:${client[$i]}/health" 2>/dev/null | grep -q '"true"' && healthy=$((healthy + 1)); done
  [[ $healthy == 3 ]] && break
  sleep 0.1
done
echo "etcd $(etcd --version | head -1 | awk '{print $3}'), 3 members: $urls"

# The gateways' own logs go to a file, shown when the benchmark fails.
java -Xmx2g -cp "$CP" dev.privateupstream.bench.store.StoreBench convergence "$urls" "$APPROVALS" 2>"$work/convergence.log" \
  || { tail -40 "$work/convergence.log"; exit 1; }
echo
java -Xmx2g -cp "$CP" dev.privateupstream.bench.store.StoreBench scale "$urls" "$SIZES" 2>"$work/scale.log" \
  || { tail -40 "$work/scale.log"; exit 1; }
