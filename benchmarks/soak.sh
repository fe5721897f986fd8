#!/usr/bin/env bash
# Soak test: mixed allowed, denied and hostile traffic against a real gateway process for SOAK_SECONDS,
# then requests, errors, and the gateway's heap, pooled direct memory, RSS and open descriptors at start
# and end. Not part of `mvn verify`. Loopback only.
#
#   benchmarks/soak.sh                      # 60 s, 8 client threads
#   SOAK_SECONDS=600 SOAK_THREADS=16 benchmarks/soak.sh
#   SOAK_SKIP_BUILD=1 benchmarks/soak.sh    # reuse the jars already built
#   SOAK_TRANSPORT=epoll benchmarks/soak.sh # the gateway's run --transport (default auto)
#
# Exit status: 0 when every answer was the expected one and descriptors came back to where they started
# (within SOAK_FD_SLACK, default 16 + 2 per thread: idle pooled backend connections stay open); 1 otherwise.
set -euo pipefail

cd "$(dirname "$0")/.."
SOAK_SECONDS=${SOAK_SECONDS:-60}
SOAK_THREADS=${SOAK_THREADS:-8}
SOAK_FD_SLACK=${SOAK_FD_SLACK:-$((16 + 2 * SOAK_THREADS))}
SOAK_HEAP=${SOAK_HEAP:-512m}
TARGET=${SOAK_TARGET:-target-soak}
SOAK_TRANSPORT=${SOAK_TRANSPORT:-auto}

if [[ -z "${SOAK_SKIP_BUILD:-}" ]]; then
  echo "building gateway.jar and the soak driver (-Dtarget.name=$TARGET)"
  mvn -B -q -pl gateway-server,benchmarks -am -Dtarget.name="$TARGET" -DskipTests package
fi
GATEWAY_JAR=gateway-server/$TARGET/gateway.jar
DRIVER_CP=benchmarks/$TARGET/classes

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  java -cp "$DRIVER_CP" dev.privateupstream.bench.soak.FreePort
}
BACKEND_PORT=$(free_port)
GATEWAY_PORT=$(free_port)
ADMIN_PORT=$(free_port)

RES=/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/soak/providers/Microsoft.Web/sites/soak
cat > "$work/gateway.yaml" <<YAML
listen:
  address: 127.0.0.1
  port: $GATEWAY_PORT
limits:
  maxHeaderBytes: 16384
  maxBodyBytes: 1048576
  headerTimeout: 5s
  idleTimeout: 30s
  upstreamResponseTimeout: 5s
admin:
  address: 127.0.0.1
  port: $ADMIN_PORT
  token: soak-token
upstreams:
  - name: soak
    resourceId: $RES
    url: http://127.0.0.1:$BACKEND_PORT
    hosts: [ soak.example ]
sharedPrivateEndpoints:
  file: endpoints.yaml
YAML
cat > "$work/endpoints.yaml" <<YAML
- name: soak-approved
  groupId: sites
  privateLinkResourceId: $RES
  status: Approved
  privateIps: [ 127.0.0.10 ]
- name: soak-pending
  groupId: sites
  privateLinkResourceId: $RES
  status: Pending
  privateIps: [ 127.0.0.20 ]
YAML

java -Xmx256m -cp "$DRIVER_CP" dev.privateupstream.bench.soak.SoakDriver backend "$BACKEND_PORT" > "$work/backend.log" 2>&1 &
pids+=($!)
# The access log (stdout) goes nowhere: it is written, as in production, but not kept.
java -Xms"$SOAK_HEAP" -Xmx"$SOAK_HEAP" -jar "$GATEWAY_JAR" run --config "$work/gateway.yaml" \
  --transport "$SOAK_TRANSPORT" > /dev/null 2> "$work/gateway.log" &
GATEWAY_PID=$!
pids+=("$GATEWAY_PID")

for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$ADMIN_PORT/readyz" > /dev/null 2>&1; then break; fi
  if ! kill -0 "$GATEWAY_PID" 2>/dev/null; then cat "$work/gateway.log"; exit 1; fi
  sleep 0.2
done
took=$(sed -n 's/.*proxy listening on .* (\([a-z_]*\) transport.*/\1/p' "$work/gateway.log" | head -1)
echo "gateway pid $GATEWAY_PID on 127.0.0.1:$GATEWAY_PORT (admin $ADMIN_PORT, transport $SOAK_TRANSPORT:$took)," \
  "backend on $BACKEND_PORT; $SOAK_SECONDS s, $SOAK_THREADS threads"

status=0
java -cp "$DRIVER_CP" dev.privateupstream.bench.soak.SoakDriver drive "$GATEWAY_PORT" "$ADMIN_PORT" \
  "$GATEWAY_PID" "$SOAK_SECONDS" "$SOAK_THREADS" | tee "$work/driver.log" || status=1

# Descriptors back where they started (the driver printed both counts on its last line).
read -r fd_start fd_end < <(sed -n 's/.*open fds \([0-9]*\) -> \([0-9]*\)$/\1 \2/p' "$work/driver.log" | tail -1)
if (( fd_end > fd_start + SOAK_FD_SLACK )); then
  echo "open descriptors grew: $fd_start -> $fd_end"
  status=1
fi
if grep -q -i "leak" "$work/gateway.log"; then
  echo "the gateway reported a leak:"; grep -i -A5 "leak" "$work/gateway.log" | head -40
  status=1
fi
exit $status
