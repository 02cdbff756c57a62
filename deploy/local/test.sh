#!/usr/bin/env bash
# Runs the whole RunMesh test suite (unit, integration, end-to-end, browser) against real servers:
# starts RabbitMQ and PostgreSQL through servers.sh (installing them when missing), installs Debian's
# chromium for the browser tests when missing, builds the solution once in Release (the gateway's
# project builds the web console with npm), runs every test project, and prints one summary line.
#
# Usage: deploy/local/test.sh [extra `dotnet test` arguments, e.g. --filter FullyQualifiedName~Hashing]
# Servers this script had to start are stopped again at the end; servers already running are left alone.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)
STATE_DIR=${RUNMESH_STATE_DIR:-$REPO_ROOT/.runmesh}
RESULTS_DIR="$REPO_ROOT/TestResults"
cd "$REPO_ROOT"

log() { printf '[test] %s\n' "$*" >&2; }
started_servers=false

cleanup() {
    if $started_servers; then
        log "stopping the servers this run started"
        bash "$SCRIPT_DIR/servers.sh" stop >/dev/null || true
    fi
}
trap cleanup EXIT

if [[ -z ${RUNMESH_POSTGRES:-} || -z ${RUNMESH_RABBITMQ_URL:-} ]]; then
    bash "$SCRIPT_DIR/servers.sh" status >/dev/null 2>&1 || started_servers=true
    bash "$SCRIPT_DIR/servers.sh" start >&2
    set -a
    # shellcheck source=/dev/null
    source "$STATE_DIR/servers/servers.env"
    set +a
fi

# The browser tests drive Debian's Chromium through Playwright (Playwright's own browser download is not used).
CHROMIUM=${RUNMESH_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $CHROMIUM ]]; then
    command -v apt-get >/dev/null || { log "ERROR: $CHROMIUM is missing and apt-get is not available to install chromium"; exit 1; }
    log "installing chromium with apt-get (first run on this machine)..."
    apt=(apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends chromium fonts-liberation >&2
    [[ -x $CHROMIUM ]] || { log "ERROR: $CHROMIUM is still missing after apt-get install chromium"; exit 1; }
fi

log "building (Release)"
dotnet build RunMesh.sln -c Release -nologo -clp:ErrorsOnly

rm -rf "$RESULTS_DIR"
log "running the tests"
status=0
dotnet test RunMesh.sln -c Release --no-build -nologo \
    --logger "trx" --logger "console;verbosity=normal" --results-directory "$RESULTS_DIR" "$@" || status=$?

# One closing line over all test assemblies, read from their TRX counters.
passed=0 failed=0 skipped=0
for trx in "$RESULTS_DIR"/*.trx; do
    [[ -f $trx ]] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
    e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    skipped=$((skipped + ${t:-0} - ${e:-0}))
done
echo "$passed passed, $failed failed, $skipped skipped"
if [[ $failed -gt 0 ]]; then
    # Name every failed test with the head of its message, so a log that keeps only its tail still says what broke.
    for trx in "$RESULTS_DIR"/*.trx; do
        [[ -f $trx ]] || continue
        python3 - "$trx" <<'PY' || grep -o 'testName="[^"]*"[^>]*outcome="Failed"' "$trx" || true
import sys
import xml.etree.ElementTree as ET

ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for result in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if result.get("outcome") != "Failed":
        continue
    message = result.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns).strip()
    print(f"FAILED {result.get('testName')}")
    for line in message.splitlines()[:6]:
        print(f"    {line}")
PY
    done
fi
if [[ $status -eq 0 && $passed -eq 0 ]]; then
    log "no test ran"
    exit 1
fi
exit "$status"
