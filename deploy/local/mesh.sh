#!/usr/bin/env bash
# Starts the whole RunMesh mesh on this machine and keeps it running until Ctrl-C:
#   1. RabbitMQ and PostgreSQL (servers.sh: installed when missing) and their mesh objects (provision.sh);
#   2. a Release build of the solution (the gateway's project builds the web console with npm);
#   3. the gateway's signing key pair (gateway-keys.sh) and the demo API keys (.runmesh/demo-keys.env);
#      the orchestrator, phase worker, approval and report services (with the gateway's public key), then the
#      gateway (with its private key and the sha256 hashes of the demo keys), as background processes on
#      127.0.0.1, logging to .runmesh/logs/<service>.log;
#   4. waits until the gateway reports ready (it is ready when its destinations answer), writes
#      .runmesh/env for clients and scripts, and runs the demo.
# Ctrl-C stops every process it started (by process id), and the servers too if it started them.
#
# Usage: deploy/local/mesh.sh [up]          start, demo, and stay in the foreground until Ctrl-C
#        deploy/local/mesh.sh up --detach   start, demo, and return (stop later with `down`)
#        deploy/local/mesh.sh down          stop what a detached `up` started
# Ports: RUNMESH_GATEWAY_PORT (default 5100); the services take the next four ports.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)
STATE_DIR=${RUNMESH_STATE_DIR:-$REPO_ROOT/.runmesh}
LOG_DIR="$STATE_DIR/logs"
PID_DIR="$STATE_DIR/pids"
GATEWAY_PORT=${RUNMESH_GATEWAY_PORT:-5100}
CONFIGURATION=Release

# name:project:port (the gateway comes last: it routes to the others)
SERVICES=(
    "orchestrator:Orchestrator:$((GATEWAY_PORT + 1))"
    "phase-worker:PhaseWorker:$((GATEWAY_PORT + 2))"
    "approval:Approval:$((GATEWAY_PORT + 3))"
    "report:Report:$((GATEWAY_PORT + 4))"
    "planner:Planner:$((GATEWAY_PORT + 5))"
    "gateway:Gateway:$GATEWAY_PORT"
)

log() { printf '[mesh] %s\n' "$*" >&2; }
die() {
    printf '[mesh] ERROR: %s\n' "$*" >&2
    exit 1
}

port_of() {
    local s
    for s in "${SERVICES[@]}"; do
        if [[ ${s%%:*} == "$1" ]]; then
            echo "${s##*:}"
            return 0
        fi
    done
    die "unknown service $1"
}

stop_services() {
    local pidfile pid name
    for pidfile in "$PID_DIR"/*.pid; do
        [[ -f $pidfile ]] || continue
        name=$(basename "$pidfile" .pid)
        pid=$(cat "$pidfile")
        if kill -0 "$pid" 2>/dev/null; then
            log "stopping $name (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$pidfile"
    done
    if [[ -f $PID_DIR/servers-started-by-mesh ]]; then
        log "stopping the servers this mesh started"
        bash "$SCRIPT_DIR/servers.sh" stop >&2 || true
        rm -f "$PID_DIR/servers-started-by-mesh"
    fi
}

start_service() { # name project port [extra args...]
    local name=$1 project=$2 port=$3
    shift 3
    local dll="$REPO_ROOT/services/$project/bin/$CONFIGURATION/net10.0/RunMesh.$project.dll"
    [[ -f $dll ]] || die "$dll is missing (the build failed?)"
    (cd "$(dirname "$dll")" && exec dotnet "$dll" --urls "http://127.0.0.1:$port" "$@") >"$LOG_DIR/$name.log" 2>&1 &
    echo $! >"$PID_DIR/$name.pid"
    log "started $name on http://127.0.0.1:$port (pid $!, log .runmesh/logs/$name.log)"
}

wait_ready() { # name url timeout-seconds
    local name=$1 url=$2 timeout=$3 waited=0
    until curl -fs -o /dev/null "$url/health/ready"; do
        local pid
        pid=$(cat "$PID_DIR/$name.pid" 2>/dev/null || echo 0)
        kill -0 "$pid" 2>/dev/null || die "$name exited; see $LOG_DIR/$name.log:$(printf '\n'; tail -20 "$LOG_DIR/$name.log")"
        ((waited++ < timeout * 5)) || die "$name not ready after ${timeout}s; see $LOG_DIR/$name.log"
        sleep 0.2
    done
}

random_key() { head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 32; }

# One demo API key per role, generated once per machine; the gateway is given only their hashes.
ensure_demo_keys() {
    if [[ ! -f $STATE_DIR/demo-keys.env ]]; then
        (
            umask 077
            {
                echo "RUNMESH_ADMIN_KEY=rm_admin_$(random_key)"
                echo "RUNMESH_SUBMITTER_KEY=rm_submitter_$(random_key)"
                echo "RUNMESH_APPROVER_KEY=rm_approver_$(random_key)"
                echo "RUNMESH_VIEWER_KEY=rm_viewer_$(random_key)"
            } >"$STATE_DIR/demo-keys.env"
        )
    fi
    chmod 600 "$STATE_DIR/demo-keys.env"
}

# The gateway's API-key arguments: identity demo-<role> with the sha256 of that role's demo key.
demo_key_args() {
    local role var key
    # shellcheck source=/dev/null
    source "$STATE_DIR/demo-keys.env"
    for role in viewer submitter approver admin; do
        var="RUNMESH_${role^^}_KEY"
        key=${!var}
        echo "--Gateway:ApiKeys:demo-$role:Role=$role"
        echo "--Gateway:ApiKeys:demo-$role:KeyHashes:0=sha256:$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)"
    done
}

write_env() {
    local env_file="$STATE_DIR/env"
    # shellcheck source=/dev/null
    source "$STATE_DIR/servers/provision.env"
    {
        echo "RUNMESH_URL=http://127.0.0.1:$GATEWAY_PORT"
        cat "$STATE_DIR/demo-keys.env"
        echo "RUNMESH_AMQP_URL=$RUNMESH_EXTERNAL_AMQP_URL"
    } >"$env_file"
    chmod 600 "$env_file"
}

# The demo proves the mesh's wiring (API key -> signed identity -> service, a message from one service process to
# another), then runs the demo workflow end to end.
run_demo() {
    local gateway="http://127.0.0.1:$GATEWAY_PORT" status
    # shellcheck source=/dev/null
    source "$STATE_DIR/demo-keys.env"
    status=$(curl -s -o /dev/null -w '%{http_code}' "$gateway/diagnostics/ping/phase-worker")
    [[ $status == 401 ]] || die "the gateway let a request without an API key through ($status)"
    log "demo: without a key the gateway answers 401; the viewer key is refused the admin-only ping:"
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Api-Key: $RUNMESH_VIEWER_KEY" "$gateway/diagnostics/ping/phase-worker")
    [[ $status == 403 ]] || die "the viewer key got $status instead of 403"
    log "demo: the admin key, through the gateway, has the orchestrator ping the phase worker over RabbitMQ"
    curl -fsS -H "X-Api-Key: $RUNMESH_ADMIN_KEY" "$gateway/diagnostics/ping/phase-worker" >&2 || die "the ping through the gateway failed"
    echo >&2
    log "demo: the orchestrator's OpenAPI document through the gateway: $gateway/openapi/orchestrator.json (browse: $gateway/docs)"
    curl -fsS -o /dev/null "$gateway/openapi/orchestrator.json" || die "the orchestrator's OpenAPI document is not served"
    run_demo_workflow "$gateway"
}

json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }

# Registers the 3-phase spec-review template, starts a run of it and follows its event stream to the end through the public
# API (deploy/local/demo/follow.py), approving its gate as the approver would, then prints the head of its report.
run_demo_workflow() {
    local gateway=$1 code body run_id state feature
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "X-Api-Key: $RUNMESH_ADMIN_KEY" \
        -H 'Content-Type: application/yaml' --data-binary "@$SCRIPT_DIR/demo/spec-review.yaml" "$gateway/api/templates")
    [[ $code == 201 || $code == 200 ]] || die "registering the demo template answered $code"
    log "demo: template spec-review@3 registered ($code)"

    feature="dark mode, demo at $(date -u +%H:%M:%S)"
    body=$(curl -fsS -X POST -H "X-Api-Key: $RUNMESH_SUBMITTER_KEY" -H 'Content-Type: application/json' \
        -d "{\"template\":\"spec-review@3\",\"inputs\":{\"feature\":\"$feature\"},\"model\":{\"name\":\"mock\"},\"options\":{\"labels\":{\"source\":\"demo\"}}}" \
        "$gateway/api/runs") || die "starting the demo run failed"
    run_id=$(json_field "['runId']" <<<"$body")
    log "demo: run $run_id started; following its event stream (the demo approves its gate as the approver)"
    RUNMESH_VIEWER_KEY=$RUNMESH_VIEWER_KEY RUNMESH_APPROVER_KEY=$RUNMESH_APPROVER_KEY \
        python3 "$SCRIPT_DIR/demo/follow.py" "$gateway" "$run_id" || die "the demo run did not complete with a report (logs: $LOG_DIR)"
    log "demo: run: $gateway/api/runs/$run_id   events: $gateway/api/runs/$run_id/events   artifacts: $gateway/api/runs/$run_id/artifacts/summary"
    echo "RUNMESH_DEMO_RUN_ID=$run_id" >>"$STATE_DIR/env"
    run_demo_child_runs "$gateway"
}

# Registers write-chapter@1 and book@1, whose `chapters` phase runs write-chapter once per chapter of the outline as
# child runs, then follows a book run to the end and prints its tree of child runs.
run_demo_child_runs() {
    local gateway=$1 code body run_id template
    for template in write-chapter book; do
        code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "X-Api-Key: $RUNMESH_ADMIN_KEY" \
            -H 'Content-Type: application/yaml' --data-binary "@$SCRIPT_DIR/demo/$template.yaml" "$gateway/api/templates")
        [[ $code == 201 || $code == 200 ]] || die "registering the demo template $template answered $code"
    done
    log "demo: templates write-chapter@1 and book@1 registered; a book run starts one child run per chapter"
    log "demo: runmesh runs start book@1 --input topic=… --model name=mock --watch   (the CLI, from $STATE_DIR/bin)"
    body=$("$STATE_DIR/bin/runmesh" runs start book@1 --url "$gateway" --key "$RUNMESH_SUBMITTER_KEY" \
        --input "topic=message-driven workflows, demo at $(date -u +%H:%M:%S)" --model name=mock --json) \
        || die "starting the book run with runmesh failed"
    run_id=$(json_field "['runId']" <<<"$body")
    "$STATE_DIR/bin/runmesh" runs watch "$run_id" --url "$gateway" --key "$RUNMESH_VIEWER_KEY" >&2 \
        || die "the book run did not complete (runmesh runs watch exited $?; logs: $LOG_DIR)"
    log "demo: the book run's tree of child runs:"
    RUNMESH_VIEWER_KEY=$RUNMESH_VIEWER_KEY RUNMESH_APPROVER_KEY=$RUNMESH_APPROVER_KEY \
        python3 "$SCRIPT_DIR/demo/follow.py" "$gateway" "$run_id" || die "the book run did not complete with a report (logs: $LOG_DIR)"
    log "demo: book: $gateway/api/runs/$run_id   its children: $gateway/api/runs?parent=$run_id"
    log "demo: a study: write-chapter@1 over 2 titles x 2 temperatures, 2 replicates each (deploy/local/demo/tone-study.yaml)"
    RUNMESH_SUBMITTER_KEY=$RUNMESH_SUBMITTER_KEY RUNMESH_VIEWER_KEY=$RUNMESH_VIEWER_KEY \
        python3 "$SCRIPT_DIR/demo/study.py" "$gateway" "$SCRIPT_DIR/demo/tone-study.yaml" || die "the demo study did not complete (logs: $LOG_DIR)"
}

# Packs the CLI (clients/Cli) and installs it as the .NET tool `runmesh` in .runmesh/bin (docs/cli.md). Each pack gets
# a version of its own, so the install never takes an older package of the same version from NuGet's cache.
install_cli() {
    local version
    version="0.1.0-local.$(date -u +%Y%m%d%H%M%S)"
    rm -rf "$STATE_DIR/packages"
    dotnet pack "$REPO_ROOT/clients/Cli" -c "$CONFIGURATION" -o "$STATE_DIR/packages" -p:Version="$version" -nologo -v:q >&2
    dotnet tool uninstall RunMesh.Cli --tool-path "$STATE_DIR/bin" >/dev/null 2>&1 || true
    dotnet tool install RunMesh.Cli --tool-path "$STATE_DIR/bin" --version "$version" --add-source "$STATE_DIR/packages" >/dev/null
    log "runmesh (the CLI) installed in $STATE_DIR/bin; put it on PATH: export PATH=\"$STATE_DIR/bin:\$PATH\""
}

up() {
    local detach=false
    [[ ${1:-} == --detach ]] && detach=true
    mkdir -p "$LOG_DIR" "$PID_DIR"
    for s in "${SERVICES[@]}"; do
        local name=${s%%:*} pidfile
        pidfile="$PID_DIR/$name.pid"
        if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
            die "$name already runs (pid $(cat "$pidfile")); run '$0 down' first"
        fi
    done

    local began=$SECONDS
    if ! bash "$SCRIPT_DIR/servers.sh" status >/dev/null 2>&1; then
        touch "$PID_DIR/servers-started-by-mesh"
    fi
    $detach || trap 'echo >&2; stop_services; exit 0' INT TERM
    $detach || trap 'stop_services' EXIT
    bash "$SCRIPT_DIR/servers.sh" start >&2
    bash "$SCRIPT_DIR/provision.sh" >/dev/null
    # shellcheck source=/dev/null
    source "$STATE_DIR/servers/provision.env"

    log "building ($CONFIGURATION)"
    dotnet build "$REPO_ROOT/RunMesh.sln" -c "$CONFIGURATION" -nologo -clp:ErrorsOnly -v:q >&2
    install_cli

    local keys public_key private_key
    keys=$(bash "$SCRIPT_DIR/gateway-keys.sh")
    private_key=$(sed -n 's/^RUNMESH_GATEWAY_PRIVATE_KEY=//p' <<<"$keys")
    public_key=$(sed -n 's/^RUNMESH_GATEWAY_PUBLIC_KEY=//p' <<<"$keys")
    ensure_demo_keys

    start_service orchestrator Orchestrator "$(port_of orchestrator)" \
        --RabbitMq:Url="$RUNMESH_ORCHESTRATOR_AMQP_URL" --ConnectionStrings:Database="$RUNMESH_ORCHESTRATOR_POSTGRES" \
        --Identity:GatewayPublicKeyPath="$public_key"
    # The http executor may call loopback on any port (the demo's and tests' own servers), and nothing else.
    start_service phase-worker PhaseWorker "$(port_of phase-worker)" \
        --RabbitMq:Url="$RUNMESH_PHASE_WORKER_AMQP_URL" --Identity:GatewayPublicKeyPath="$public_key" \
        --PhaseWorker:Http:AllowedHosts:0="127.0.0.1:*" --PhaseWorker:Http:AllowedHosts:1="localhost:*"
    start_service approval Approval "$(port_of approval)" \
        --RabbitMq:Url="$RUNMESH_APPROVAL_AMQP_URL" --ConnectionStrings:Database="$RUNMESH_APPROVAL_POSTGRES" \
        --Identity:GatewayPublicKeyPath="$public_key"
    start_service report Report "$(port_of report)" \
        --RabbitMq:Url="$RUNMESH_REPORT_AMQP_URL" --ConnectionStrings:Database="$RUNMESH_REPORT_POSTGRES" \
        --Identity:GatewayPublicKeyPath="$public_key"
    start_service planner Planner "$(port_of planner)" \
        --RabbitMq:Url="$RUNMESH_PLANNER_AMQP_URL" --ConnectionStrings:Database="$RUNMESH_PLANNER_POSTGRES" \
        --Identity:GatewayPublicKeyPath="$public_key"
    for name in orchestrator phase-worker approval report planner; do
        wait_ready "$name" "http://127.0.0.1:$(port_of "$name")" 120
    done
    local api_keys
    mapfile -t api_keys < <(demo_key_args)
    start_service gateway Gateway "$GATEWAY_PORT" \
        --ReverseProxy:Clusters:orchestrator:Destinations:orchestrator-1:Address="http://127.0.0.1:$(port_of orchestrator)" \
        --ReverseProxy:Clusters:approval:Destinations:approval-1:Address="http://127.0.0.1:$(port_of approval)" \
        --ReverseProxy:Clusters:report:Destinations:report-1:Address="http://127.0.0.1:$(port_of report)" \
        --ReverseProxy:Clusters:planner:Destinations:planner-1:Address="http://127.0.0.1:$(port_of planner)" \
        --Gateway:Signing:PrivateKeyPath="$private_key" \
        --Gateway:Sessions:Directory="$STATE_DIR/gateway-sessions" \
        "${api_keys[@]}"
    wait_ready gateway "http://127.0.0.1:$GATEWAY_PORT" 60

    write_env
    log "mesh ready in $((SECONDS - began))s"
    run_demo
    echo
    echo "RunMesh is running."
    echo "  gateway:   http://127.0.0.1:$GATEWAY_PORT   (ready: /health/ready)"
    echo "  console:   http://127.0.0.1:$GATEWAY_PORT/   (sign in with one of the keys below)"
    echo "  env file:  $STATE_DIR/env   (source it: set -a; . .runmesh/env; set +a)"
    sed 's/^/  /' "$STATE_DIR/env"
    echo "  logs:      $LOG_DIR/"
    if $detach; then
        echo "Stop it with: $0 down"
        return 0
    fi
    echo "Press Ctrl-C to stop everything this command started."
    while true; do
        for s in "${SERVICES[@]}"; do
            local name=${s%%:*}
            kill -0 "$(cat "$PID_DIR/$name.pid")" 2>/dev/null || die "$name stopped unexpectedly; see $LOG_DIR/$name.log"
        done
        sleep 2
    done
}

case ${1:-up} in
up) up "${2:-}" ;;
down) stop_services ;;
*) die "usage: $0 [up [--detach] | down]" ;;
esac
