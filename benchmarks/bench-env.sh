# bench-env.sh - sourced by profile.sh and ab.sh: where the project, the shared peer-bench harness and its
# run folder are, and the checks both make before they start a gateway on peer-bench.sh's configuration.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PB_RUN=${PB_RUN:-/tmp/peer-bench}
pb=${PEER_BENCH_DIR:-$(cd "$root/.." && pwd)/shared/tools/peer-bench}
[ -f "$pb/conf/post.lua" ] || pb=/work/shared/tools/peer-bench

# require_files SCRIPT FILE...: each FILE exists, else SCRIPT says to run peer-bench.sh once and exits.
require_files() {
  local script=$1 f
  shift
  for f in "$@"; do
    [ -f "$f" ] || { echo "$script: no $f (run benchmarks/peer-bench.sh once)" >&2; exit 1; }
  done
}

# require_backend SCRIPT CONFIG: the backend of CONFIG's first upstream answers, else SCRIPT exits.
require_backend() {
  local backend
  backend=$(sed -n 's|^ *url: http://\(.*\)$|\1|p' "$2" | head -1)
  curl -fsS -o /dev/null "http://$backend/" \
    || { echo "$1: the backend http://$backend/ does not answer: start it with $pb/start.sh" >&2; exit 1; }
}

# listen_port CONFIG: the proxy port of a gateway configuration (its listen.port).
listen_port() {
  awk '/^listen:/ {l=1} l && /port:/ {print $2; exit}' "$1"
}
