#!/usr/bin/env bash
# RunMesh's own local PostgreSQL cluster and RabbitMQ node, run as plain background
# processes bound to 127.0.0.1 (no containers, no systemd, never the Debian system services).
# All state lives under $RUNMESH_STATE_DIR/servers (default <repo>/.runmesh/servers).
#
#   deploy/local/servers.sh start    install what is missing (apt-get), start both, write servers.env
#   deploy/local/servers.sh stop     stop exactly the cluster and node this script started
#   deploy/local/servers.sh start|stop postgres|rabbitmq   the same for one of the two (restart tests)
#   deploy/local/servers.sh status   report whether each answers (exit 0 only when both do)
#   deploy/local/servers.sh env      print servers.env (starts nothing)
#
# Progress goes to stderr; `start` and `env` print only the KEY="value" lines on stdout.
# See deploy/local/README.md for ports, variables, wiping state and troubleshooting.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)

# Debian keeps the RabbitMQ scripts in /usr/sbin and the PostgreSQL binaries in a versioned
# directory; append them so a minimal PATH still finds them (anything already on PATH wins).
PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin:/usr/lib/postgresql/15/bin"

PG_PORT=${RUNMESH_PG_PORT:-55432}
AMQP_PORT=${RUNMESH_AMQP_PORT:-55672}
MGMT_PORT=${RUNMESH_RABBITMQ_MGMT_PORT:-55673}
DIST_PORT=${RUNMESH_RABBITMQ_DIST_PORT:-55674}
BOOT_TIMEOUT=${RUNMESH_SERVERS_TIMEOUT:-180}        # seconds each server may take to come up
LOCK_TIMEOUT=${RUNMESH_SERVERS_LOCK_TIMEOUT:-900}   # seconds to wait for a concurrent start/stop

RMQ_NODE="runmesh-${AMQP_PORT}@localhost"
RMQ_ADMIN_USER=runmesh
RMQ_ADMIN_PASSWORD=runmesh   # dev only: the broker listens on 127.0.0.1 alone
PG_SUPERUSER=postgres
PG_SUPERUSER_PASSWORD=postgres   # dev only: the cluster listens on 127.0.0.1 alone
PG_OS_USER=postgres              # the PostgreSQL server refuses to run as root
RMQ_OS_USER=rabbitmq             # created by Debian's rabbitmq-server package

LOOPBACK_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'

log() { printf '[servers] %s\n' "$*" >&2; }
die() {
    printf '[servers] ERROR: %s\n' "$*" >&2
    exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

now_ms() { local t=${EPOCHREALTIME/./}; printf '%s\n' $((10#$t / 1000)); }
T0=$(now_ms)
elapsed() {
    local ms=$(($(now_ms) - T0))
    printf '%d.%ds' $((ms / 1000)) $((ms % 1000 / 100))
}

usage() {
    cat >&2 <<'EOF'
usage: deploy/local/servers.sh start|stop [postgres|rabbitmq] | status | env

  start   install rabbitmq-server/amqp-tools (and postgresql-15 if initdb is missing) with
          apt-get when needed, start our PostgreSQL cluster and RabbitMQ node on 127.0.0.1,
          write $RUNMESH_STATE_DIR/servers/servers.env and print it
  stop    stop only the cluster and node this script started
          (start/stop with a server name act on that server alone; the other is left as it is)
  status  say whether each server is up; exit 0 when both are, 1 otherwise
  env     print servers.env (starts nothing)

environment: RUNMESH_STATE_DIR (default <repo>/.runmesh), RUNMESH_PG_PORT (55432),
  RUNMESH_AMQP_PORT (55672), RUNMESH_RABBITMQ_MGMT_PORT (55673),
  RUNMESH_RABBITMQ_DIST_PORT (55674), RUNMESH_SERVERS_TIMEOUT (180),
  RUNMESH_SERVERS_LOCK_TIMEOUT (900)
EOF
}

validate_settings() {
    local pair name value
    for pair in PG_PORT:RUNMESH_PG_PORT AMQP_PORT:RUNMESH_AMQP_PORT \
        MGMT_PORT:RUNMESH_RABBITMQ_MGMT_PORT DIST_PORT:RUNMESH_RABBITMQ_DIST_PORT; do
        name=${pair%%:*}
        value=${!name}
        if ! [[ $value =~ ^[0-9]+$ ]] || ((value < 1024 || value > 65535)); then
            die "${pair#*:} must be a port number between 1024 and 65535 (got '$value')"
        fi
    done
    [[ $BOOT_TIMEOUT =~ ^[0-9]+$ && $LOCK_TIMEOUT =~ ^[0-9]+$ ]] ||
        die "RUNMESH_SERVERS_TIMEOUT and RUNMESH_SERVERS_LOCK_TIMEOUT must be whole seconds"
    local -A seen=()
    for value in "$PG_PORT" "$AMQP_PORT" "$MGMT_PORT" "$DIST_PORT"; do
        [[ -z ${seen[$value]:-} ]] || die "port $value is configured twice; the four ports must differ"
        seen[$value]=1
    done
}

# ---------------------------------------------------------------------------------------------
# Paths

STATE_DIR=${RUNMESH_STATE_DIR:-$REPO_ROOT/.runmesh}
[[ $STATE_DIR == /* ]] || STATE_DIR="$PWD/$STATE_DIR"

set_paths() {
    if [[ -d $STATE_DIR ]]; then
        STATE_DIR=$(cd -- "$STATE_DIR" && pwd -P)
    fi
    # pg_ctl hands its -o options to a shell and the RabbitMQ scripts split on spaces.
    [[ $STATE_DIR =~ ^[A-Za-z0-9_./+@:-]+$ ]] ||
        die "RUNMESH_STATE_DIR '$STATE_DIR' must not contain spaces, quotes or other special characters"
    SERVERS_DIR="$STATE_DIR/servers"
    ENV_FILE="$SERVERS_DIR/servers.env"
    LOCK_FILE="$SERVERS_DIR/.lock"
    PG_DIR=$(pick_dir postgres "$PG_PORT" "$PG_OS_USER")
    PG_DATA="$PG_DIR/data"
    PG_LOG="$PG_DIR/postgres.log"
    PG_SOCKET_DIR="$PG_DIR"
    # A Unix socket path is limited to 107 bytes; fall back to /tmp for a deep state directory.
    if ((${#PG_SOCKET_DIR} + ${#PG_PORT} + 10 > 100)); then
        PG_SOCKET_DIR=/tmp
    fi
    RMQ_DIR=$(pick_dir rabbitmq "$AMQP_PORT" "$RMQ_OS_USER")
    RMQ_PID_FILE="$RMQ_DIR/rabbitmq.pid"
    RMQ_LOG_DIR="$RMQ_DIR/log"
    RMQ_CONSOLE_LOG="$RMQ_LOG_DIR/console.log"
}

# Prints where a server keeps its state: <state>/servers/<name>, or /tmp/runmesh-<port>/<name>
# when that server's OS user cannot traverse to the state directory (e.g. a repo under /root).
pick_dir() {
    local name=$1 port=$2 user=$3
    local primary="$STATE_DIR/servers/$name" fallback="/tmp/runmesh-$port/$name"
    if [[ -d $primary ]]; then
        printf '%s\n' "$primary"
    elif [[ -d $fallback ]]; then
        printf '%s\n' "$fallback"
    elif ((EUID == 0)) && [[ -d $STATE_DIR/servers ]] && id -u "$user" >/dev/null 2>&1 &&
        ! user_can_enter "$user" "$STATE_DIR/servers"; then
        printf '%s\n' "$fallback"
    else
        printf '%s\n' "$primary"
    fi
}

user_can_enter() { runuser -u "$1" -- test -x "$2" 2>/dev/null; }

# Lets the server users traverse the state directory. Only the state directory and its
# servers/ subdirectory are ever chmod-ed (o+x); directories above them are left alone and
# pick_dir falls back to /tmp/runmesh-<port>/ instead.
open_state_dirs() {
    local user dir
    for user in "$PG_OS_USER" "$RMQ_OS_USER"; do
        for dir in "$STATE_DIR" "$STATE_DIR/servers"; do
            if ! user_can_enter "$user" "$dir" && user_can_enter "$user" "$(dirname -- "$dir")"; then
                log "chmod o+x $dir (so the '$user' user can reach its data)"
                chmod o+x "$dir"
            fi
        done
    done
}

# ---------------------------------------------------------------------------------------------
# Locking: concurrent start/stop calls run one after the other.

acquire_lock() {
    exec 9>>"$LOCK_FILE"
    if ! flock -n 9; then
        log "another servers.sh start/stop holds $LOCK_FILE; waiting up to ${LOCK_TIMEOUT}s..."
        flock -w "$LOCK_TIMEOUT" 9 || die "timed out after ${LOCK_TIMEOUT}s waiting for $LOCK_FILE"
        log "lock acquired after $(elapsed)"
    fi
}

# ---------------------------------------------------------------------------------------------
# Installation

POLICY_RC_D=/usr/sbin/policy-rc.d
POLICY_RC_D_OURS=""
remove_policy_rc_d() {
    if [[ -n $POLICY_RC_D_OURS ]] && grep -q 'runmesh servers.sh' "$POLICY_RC_D" 2>/dev/null; then
        rm -f "$POLICY_RC_D"
    fi
}

ensure_packages() {
    local pkgs=()
    have rabbitmq-server || pkgs+=(rabbitmq-server)
    have amqp-publish || pkgs+=(amqp-tools)
    have initdb || pkgs+=(postgresql-15)
    have psql || pkgs+=(postgresql-client-15)
    have curl || pkgs+=(curl)
    have flock || pkgs+=(util-linux)
    ((${#pkgs[@]} > 0)) || return 0
    have apt-get || die "missing ${pkgs[*]} and apt-get is not available to install them"
    log "installing ${pkgs[*]} with apt-get (first start on this machine)..."
    # Debian's postinst would start the *system* RabbitMQ/PostgreSQL service (0.0.0.0:5672,
    # :5432). We never use those; when the machine has no policy-rc.d, deny service starts for
    # the duration of the install with a temporary one (removed again on exit).
    if [[ ! -e $POLICY_RC_D ]]; then
        POLICY_RC_D_OURS=1
        trap remove_policy_rc_d EXIT
        printf '#!/bin/sh\n# temporary, written by runmesh servers.sh during apt-get install\nexit 101\n' >"$POLICY_RC_D"
        chmod 755 "$POLICY_RC_D"
    fi
    local apt=(apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" update -qq >&2 ||
        die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq --no-install-recommends "${pkgs[@]}" >&2 ||
        die "apt-get install ${pkgs[*]} failed"
    remove_policy_rc_d
    POLICY_RC_D_OURS=""
    hash -r
    local cmd
    for cmd in rabbitmq-server rabbitmqctl amqp-publish initdb pg_ctl psql curl; do
        have "$cmd" || die "'$cmd' is still missing after apt-get install"
    done
    log "packages installed ($(elapsed))"
}

# ---------------------------------------------------------------------------------------------
# Helpers shared by both servers

port_busy() { (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

who_listens() {
    if have ss; then
        ss -Hltnp "sport = :$1" 2>/dev/null | sed 's/^/    /' >&2 || true
    fi
}

# Is <pid> a live process? (a zombie, which kill -0 still reports, counts as gone)
pid_alive() {
    local state
    [[ $1 =~ ^[0-9]+$ ]] || return 1
    state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
    [[ -n $state && $state != Z && $state != X ]]
}

# Is <pid> alive and does its command line contain <needle>? (guards against reused pids)
pid_matches() {
    local pid=$1 needle=$2
    [[ $pid =~ ^[0-9]+$ ]] && [[ -r /proc/$pid/cmdline ]] &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$needle"
}

tail_log() {
    local file=$1
    if [[ -r $file ]]; then
        log "last lines of $file:"
        tail -n 25 -- "$file" | sed 's/^/    /' >&2
    fi
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

pg_query() { # <sql> as the superuser over TCP with the password: the same path tests use
    PGPASSWORD=$PG_SUPERUSER_PASSWORD PGCONNECT_TIMEOUT=3 psql -X -A -t -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres -c "$1" 2>/dev/null
}

# Our cluster answers on 127.0.0.1:PG_PORT with the expected password and data directory.
pg_up() {
    local dir
    dir=$(pg_query 'SHOW data_directory') || return 1
    [[ $dir == "$PG_DATA" ]]
}

pg_pid() { # pid of our postmaster, from postmaster.pid, if that process is alive and ours
    local pid
    pid=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null) || return 1
    pid_matches "$pid" "$PG_DATA" && printf '%s\n' "$pid"
}

pg_init() {
    [[ -f $PG_DATA/PG_VERSION ]] && return 0
    if [[ -e $PG_DATA ]]; then
        rmdir -- "$PG_DATA" 2>/dev/null ||
            die "$PG_DATA exists but is not a PostgreSQL cluster; remove it (see README: wiping state)"
    fi
    log "initialising a new PostgreSQL cluster in $PG_DATA"
    local tmp="$PG_DIR/data.initdb-tmp" pwfile="$PG_DIR/.initdb-pwfile" locale_args=(--no-locale)
    rm -rf -- "$tmp"
    if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
        locale_args=(--locale=C.UTF-8)
    fi
    printf '%s\n' "$PG_SUPERUSER_PASSWORD" >"$pwfile"
    chown "$PG_OS_USER:" "$pwfile"
    chmod 600 "$pwfile"
    if ! (cd -- "$PG_DIR" && runuser -u "$PG_OS_USER" -- "$(command -v initdb)" -D "$tmp" \
        -U "$PG_SUPERUSER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 "${locale_args[@]}") >"$PG_DIR/initdb.log" 2>&1; then
        rm -f -- "$pwfile"
        tail_log "$PG_DIR/initdb.log"
        die "initdb failed (full output in $PG_DIR/initdb.log)"
    fi
    rm -f -- "$pwfile"
    mv -- "$tmp" "$PG_DATA"
}

pg_start() {
    if pg_up; then
        log "postgres: already running on 127.0.0.1:$PG_PORT (pid $(pg_pid || echo '?')), nothing to do"
        return 0
    fi
    mkdir -p -- "$PG_DIR"
    chown "$PG_OS_USER:" "$PG_DIR"
    chmod 700 "$PG_DIR"
    pg_init

    local pid
    if pid=$(pg_pid); then
        # Our postmaster exists but does not answer yet (starting up or recovering after a crash).
        log "postgres: our server (pid $pid) is running but not answering yet; waiting..."
    else
        if port_busy "$PG_PORT"; then
            log "port $PG_PORT is already in use by something other than our cluster:"
            who_listens "$PG_PORT"
            die "postgres: 127.0.0.1:$PG_PORT is taken; stop that process or set RUNMESH_PG_PORT"
        fi
        if [[ -e $PG_DATA/postmaster.pid ]]; then
            log "postgres: removing stale $PG_DATA/postmaster.pid (no live process of ours has that pid)"
            rm -f -- "$PG_DATA/postmaster.pid"
        fi
        log "postgres: starting on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
        # fsync stays on: tests crash processes on purpose and durability must be real.
        # fd 9 (the lock) is closed so the postmaster does not keep holding it.
        if ! (cd -- "$PG_DIR" && runuser -u "$PG_OS_USER" -- "$(command -v pg_ctl)" -D "$PG_DATA" \
            -l "$PG_LOG" -w -t "$BOOT_TIMEOUT" \
            -o "-p $PG_PORT -k $PG_SOCKET_DIR -c listen_addresses=127.0.0.1 -c max_connections=500 -c shared_buffers=256MB" \
            start) >&2 9>&-; then
            tail_log "$PG_LOG"
            die "postgres: pg_ctl start failed (log: $PG_LOG)"
        fi
    fi

    local deadline=$((SECONDS + BOOT_TIMEOUT))
    until pg_up; do
        if ((SECONDS >= deadline)); then
            tail_log "$PG_LOG"
            die "postgres: not answering on 127.0.0.1:$PG_PORT after ${BOOT_TIMEOUT}s"
        fi
        if ! pg_pid >/dev/null; then
            tail_log "$PG_LOG"
            die "postgres: the server exited during start-up (log: $PG_LOG)"
        fi
        # Answers over the socket but not over TCP with the password: (re)set the password.
        if runuser -u "$PG_OS_USER" -- psql -X -q -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U "$PG_SUPERUSER" \
            -d postgres -c "ALTER ROLE $PG_SUPERUSER WITH PASSWORD '$PG_SUPERUSER_PASSWORD'" >/dev/null 2>&1; then
            pg_up && break
        fi
        sleep 0.5
    done
    log "postgres: up on 127.0.0.1:$PG_PORT (pid $(pg_pid || echo '?'), $(elapsed))"
}

pg_stop() {
    local pid
    if ! pid=$(pg_pid); then
        log "postgres: not running"
        return 0
    fi
    log "postgres: stopping pid $pid (pg_ctl stop -m fast)"
    (cd -- "$PG_DIR" && runuser -u "$PG_OS_USER" -- "$(command -v pg_ctl)" -D "$PG_DATA" \
        stop -m fast -w -t "$BOOT_TIMEOUT") >&2 9>&- || die "postgres: pg_ctl stop failed"
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ

rmq_home() { getent passwd "$RMQ_OS_USER" | cut -d: -f6; }

# The RabbitMQ scripts behind Debian's /usr/sbin wrappers (which would `su rabbitmq` anyway).
rmq_bin_dir() {
    if [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]]; then
        printf '%s\n' /usr/lib/rabbitmq/bin
    else
        dirname -- "$(readlink -f -- "$(command -v rabbitmq-server)")"
    fi
}

rmq_env() {
    RMQ_ENV=(
        "HOME=$(rmq_home)"
        "RABBITMQ_NODENAME=$RMQ_NODE"
        "RABBITMQ_CONF_ENV_FILE=$RMQ_DIR/rabbitmq-env.conf"
        "RABBITMQ_CONFIG_FILE=$RMQ_DIR/rabbitmq.conf"
        "RABBITMQ_ADVANCED_CONFIG_FILE=$RMQ_DIR/advanced.config"
        "RABBITMQ_ENABLED_PLUGINS_FILE=$RMQ_DIR/enabled_plugins"
        "RABBITMQ_MNESIA_BASE=$RMQ_DIR/mnesia"
        "RABBITMQ_LOG_BASE=$RMQ_LOG_DIR"
        "RABBITMQ_PID_FILE=$RMQ_PID_FILE"
        "RABBITMQ_DIST_PORT=$DIST_PORT"
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=$LOOPBACK_ERL_ARGS"
        "RABBITMQ_CTL_ERL_ARGS=$LOOPBACK_ERL_ARGS"
        "ERL_EPMD_ADDRESS=127.0.0.1"
    )
}

# rabbitmqctl against our node, as the rabbitmq user (so it shares the node's Erlang cookie).
rmqctl() {
    local bin
    bin=$(rmq_bin_dir)
    rmq_env
    (cd -- "$RMQ_DIR" && runuser -u "$RMQ_OS_USER" -- env "${RMQ_ENV[@]}" "$bin/rabbitmqctl" -n "$RMQ_NODE" "$@") 9>&-
}

rmq_api() { # <path>: GET on the management API as our admin user
    curl -fsS -m 5 -u "$RMQ_ADMIN_USER:$RMQ_ADMIN_PASSWORD" "http://127.0.0.1:$MGMT_PORT$1" 2>/dev/null
}

# Our node answers: the management API on MGMT_PORT reports our node name, and our admin
# user logs in with the administrator tag and full permissions on vhost "/".
rmq_up() {
    rmq_api /api/overview | grep -qF "\"node\":\"$RMQ_NODE\"" || return 1
    rmq_user_ok
}

rmq_user_ok() {
    local perms
    rmq_api /api/whoami | grep -q '"administrator"' || return 1
    perms=$(rmq_api /api/permissions/%2F/$RMQ_ADMIN_USER) || return 1
    [[ $perms == *'"configure":".*"'* && $perms == *'"write":".*"'* && $perms == *'"read":".*"'* ]]
}

rmq_pid() { # pid of our node, from its pid file, if that process is alive and ours
    local pid
    pid=$(head -n 1 "$RMQ_PID_FILE" 2>/dev/null) || return 1
    # The node name is not on beam's command line; it is in the environment we started it with.
    [[ $pid =~ ^[0-9]+$ ]] && grep -qzxF "RABBITMQ_NODENAME=$RMQ_NODE" "/proc/$pid/environ" 2>/dev/null &&
        printf '%s\n' "$pid"
}

rmq_write_config() {
    mkdir -p -- "$RMQ_DIR/mnesia" "$RMQ_LOG_DIR"
    cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# Written by deploy/local/servers.sh on every start; edits are overwritten.
listeners.tcp.default = 127.0.0.1:$AMQP_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $MGMT_PORT
# Everything listens on 127.0.0.1 only, so no user needs to be loopback-restricted.
loopback_users = none
# Created on the node's first boot (servers.sh re-creates it if it goes missing).
default_user = $RMQ_ADMIN_USER
default_pass = $RMQ_ADMIN_PASSWORD
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.console = false
log.file.level = info
EOF
    printf '[rabbitmq_management].\n' >"$RMQ_DIR/enabled_plugins"
    # For humans: RABBITMQ_CONF_ENV_FILE=<this file> rabbitmqctl status  (see README)
    cat >"$RMQ_DIR/rabbitmq-env.conf" <<EOF
# Written by deploy/local/servers.sh: the settings of the RunMesh local RabbitMQ node.
NODENAME=$RMQ_NODE
CONFIG_FILE=$RMQ_DIR/rabbitmq.conf
ADVANCED_CONFIG_FILE=$RMQ_DIR/advanced.config
ENABLED_PLUGINS_FILE=$RMQ_DIR/enabled_plugins
MNESIA_BASE=$RMQ_DIR/mnesia
LOG_BASE=$RMQ_LOG_DIR
PID_FILE=$RMQ_PID_FILE
DIST_PORT=$DIST_PORT
SERVER_ADDITIONAL_ERL_ARGS="$LOOPBACK_ERL_ARGS"
CTL_ERL_ARGS="$LOOPBACK_ERL_ARGS"
ERL_EPMD_ADDRESS=127.0.0.1
EOF
    chown "$RMQ_OS_USER:" "$RMQ_DIR" "$RMQ_DIR/mnesia" "$RMQ_LOG_DIR" \
        "$RMQ_DIR/rabbitmq.conf" "$RMQ_DIR/enabled_plugins" "$RMQ_DIR/rabbitmq-env.conf"
    chmod 750 "$RMQ_DIR"
}

rmq_ensure_user() {
    rmq_user_ok && return 0
    log "rabbitmq: (re)creating user '$RMQ_ADMIN_USER' (administrator, full permissions on /)"
    if ! rmqctl -q add_user "$RMQ_ADMIN_USER" "$RMQ_ADMIN_PASSWORD" >/dev/null 2>&1; then
        rmqctl -q change_password "$RMQ_ADMIN_USER" "$RMQ_ADMIN_PASSWORD" >/dev/null
    fi
    rmqctl -q set_user_tags "$RMQ_ADMIN_USER" administrator >/dev/null
    rmqctl -q set_permissions -p / "$RMQ_ADMIN_USER" '.*' '.*' '.*' >/dev/null
}

rmq_start() {
    if rmq_up; then
        log "rabbitmq: node $RMQ_NODE already running (pid $(rmq_pid || echo '?')), nothing to do"
        return 0
    fi
    local home
    home=$(rmq_home)
    [[ -n $home && -d $home ]] ||
        die "rabbitmq: the '$RMQ_OS_USER' user's home ('$home') is missing; it holds the Erlang cookie (reinstall rabbitmq-server)"
    mkdir -p -- "$RMQ_DIR"

    local pid launch_pid=""
    if pid=$(rmq_pid); then
        log "rabbitmq: our node (pid $pid) is running but the management API check failed (still booting, or user $RMQ_ADMIN_USER missing); waiting, then repairing..."
    else
        local port
        for port in "$AMQP_PORT" "$MGMT_PORT" "$DIST_PORT"; do
            if port_busy "$port"; then
                log "port $port is already in use by something other than our node:"
                who_listens "$port"
                die "rabbitmq: 127.0.0.1:$port is taken; stop that process or change RUNMESH_AMQP_PORT / RUNMESH_RABBITMQ_MGMT_PORT / RUNMESH_RABBITMQ_DIST_PORT"
            fi
        done
        if [[ -e $RMQ_PID_FILE ]]; then
            log "rabbitmq: removing stale $RMQ_PID_FILE (no live process of ours has that pid)"
            rm -f -- "$RMQ_PID_FILE"
        fi
        rmq_write_config
        log "rabbitmq: starting node $RMQ_NODE (amqp 127.0.0.1:$AMQP_PORT, management 127.0.0.1:$MGMT_PORT, dist $DIST_PORT; logs: $RMQ_LOG_DIR)"
        local bin
        bin=$(rmq_bin_dir)
        rmq_env
        # In its own session (immune to the caller's Ctrl-C / process-group kill), stdin from
        # /dev/null, output to console.log, and without fd 9 so the node does not hold the lock.
        printf '\n=== %s servers.sh start ===\n' "$(date -Is)" >>"$RMQ_CONSOLE_LOG"
        (cd -- "$RMQ_DIR" && exec setsid runuser -u "$RMQ_OS_USER" -- env "${RMQ_ENV[@]}" \
            "$bin/rabbitmq-server") </dev/null >>"$RMQ_CONSOLE_LOG" 2>&1 9>&- &
        launch_pid=$!
    fi

    # Poll cheaply (every 0.2s) until the AMQP listener is open -- RabbitMQ opens it at the end
    # of its boot -- while making sure the node has not died; then let rabbitmqctl confirm.
    local deadline=$((SECONDS + BOOT_TIMEOUT))
    until port_busy "$AMQP_PORT"; do
        if [[ -n $launch_pid ]] && ! pid_alive "$launch_pid"; then
            tail_log "$RMQ_CONSOLE_LOG"
            tail_log "$RMQ_LOG_DIR/$RMQ_NODE.log"
            die "rabbitmq: the node exited during start-up (logs: $RMQ_LOG_DIR)"
        fi
        if [[ -z $launch_pid ]] && ! rmq_pid >/dev/null; then
            die "rabbitmq: the node process went away while we waited (logs: $RMQ_LOG_DIR)"
        fi
        if ((SECONDS >= deadline)); then
            tail_log "$RMQ_LOG_DIR/$RMQ_NODE.log"
            die "rabbitmq: node $RMQ_NODE not listening on 127.0.0.1:$AMQP_PORT after ${BOOT_TIMEOUT}s (logs: $RMQ_LOG_DIR)"
        fi
        sleep 0.2
    done
    local remaining=$((deadline - SECONDS))
    ((remaining >= 10)) || remaining=10
    if ! rmqctl -q -t "$remaining" await_startup >&2; then
        tail_log "$RMQ_LOG_DIR/$RMQ_NODE.log"
        die "rabbitmq: 'rabbitmqctl -n $RMQ_NODE await_startup' failed (Erlang cookie? see README troubleshooting)"
    fi
    log "rabbitmq: node booted ($(elapsed))"
    rmq_ensure_user
    until rmq_up; do
        if ((SECONDS >= deadline)); then
            tail_log "$RMQ_LOG_DIR/$RMQ_NODE.log"
            die "rabbitmq: management API not answering on 127.0.0.1:$MGMT_PORT after ${BOOT_TIMEOUT}s"
        fi
        sleep 0.5
    done
    log "rabbitmq: up (pid $(rmq_pid || echo '?'), $(elapsed))"
}

rmq_stop() {
    local pid
    if ! pid=$(rmq_pid); then
        if [[ -e $RMQ_PID_FILE ]]; then
            log "rabbitmq: removing stale $RMQ_PID_FILE"
            rm -f -- "$RMQ_PID_FILE"
        fi
        log "rabbitmq: not running"
        return 0
    fi
    log "rabbitmq: stopping node $RMQ_NODE (pid $pid)"
    if ! rmqctl -q stop "$RMQ_PID_FILE" >&2; then
        # The CLI could not reach it (e.g. an Erlang cookie mismatch): signal exactly that pid.
        log "rabbitmq: rabbitmqctl stop failed; sending SIGTERM to pid $pid"
        kill -TERM "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + 60))
        while pid_alive "$pid"; do
            ((SECONDS < deadline)) || die "rabbitmq: pid $pid still alive 60s after SIGTERM"
            sleep 0.5
        done
    fi
    rm -f -- "$RMQ_PID_FILE"
}

# ---------------------------------------------------------------------------------------------
# servers.env

env_lines() {
    printf 'RUNMESH_POSTGRES="Host=127.0.0.1;Port=%s;Username=%s;Password=%s"\n' \
        "$PG_PORT" "$PG_SUPERUSER" "$PG_SUPERUSER_PASSWORD"
    printf 'RUNMESH_RABBITMQ_URL="amqp://%s:%s@127.0.0.1:%s/"\n' \
        "$RMQ_ADMIN_USER" "$RMQ_ADMIN_PASSWORD" "$AMQP_PORT"
    printf 'RUNMESH_RABBITMQ_MANAGEMENT_URL="http://127.0.0.1:%s"\n' "$MGMT_PORT"
}

write_env_file() {
    local tmp
    tmp=$(mktemp "$SERVERS_DIR/.servers.env.XXXXXX")
    env_lines >"$tmp"
    chmod 644 "$tmp"
    mv -f -- "$tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------------------------------------
# Subcommands

require_root() {
    ((EUID == 0)) || die "'$1' must run as root (it installs packages and runs the servers as the postgres/rabbitmq users)"
    have runuser || die "runuser (util-linux) is required"
}

cmd_start() {
    require_root start
    have flock || die "flock (util-linux) is required"
    mkdir -p -- "$STATE_DIR/servers"
    set_paths
    acquire_lock
    ensure_packages
    open_state_dirs
    set_paths # open_state_dirs may have changed what pick_dir decides for new directories
    if [[ $PG_DIR != "$SERVERS_DIR/postgres" ]]; then
        log "note: the $PG_OS_USER user cannot reach $SERVERS_DIR, so PostgreSQL's data lives in $PG_DIR"
    fi
    if [[ $RMQ_DIR != "$SERVERS_DIR/rabbitmq" ]]; then
        log "note: the $RMQ_OS_USER user cannot reach $SERVERS_DIR, so RabbitMQ's data lives in $RMQ_DIR"
    fi
    [[ $ONLY == rabbitmq ]] || pg_start
    [[ $ONLY == postgres ]] || rmq_start
    write_env_file
    cat -- "$ENV_FILE"
    log "servers ready in $(elapsed)"
}

cmd_stop() {
    require_root stop
    set_paths
    [[ -d $SERVERS_DIR ]] || {
        log "nothing to stop: $SERVERS_DIR does not exist"
        return 0
    }
    acquire_lock
    [[ $ONLY == postgres ]] || rmq_stop
    [[ $ONLY == rabbitmq ]] || pg_stop
    log "stopped ($(elapsed))"
}

cmd_status() {
    set_paths
    local rc=0 pid
    if pg_up; then
        log "postgres: up   127.0.0.1:$PG_PORT  pid $(pg_pid 2>/dev/null || echo '?')  data $PG_DATA"
    else
        rc=1
        if pid=$(pg_pid 2>/dev/null); then
            log "postgres: DOWN (pid $pid exists but does not answer on 127.0.0.1:$PG_PORT)"
        else
            log "postgres: DOWN (127.0.0.1:$PG_PORT)"
        fi
    fi
    if rmq_up; then
        log "rabbitmq: up   node $RMQ_NODE  amqp 127.0.0.1:$AMQP_PORT  management 127.0.0.1:$MGMT_PORT  pid $(rmq_pid 2>/dev/null || echo '?')"
    else
        rc=1
        if pid=$(rmq_pid 2>/dev/null); then
            log "rabbitmq: DOWN (node pid $pid exists but the management API on 127.0.0.1:$MGMT_PORT does not answer)"
        else
            log "rabbitmq: DOWN (node $RMQ_NODE, management 127.0.0.1:$MGMT_PORT)"
        fi
    fi
    return "$rc"
}

cmd_env() {
    set_paths
    [[ -f $ENV_FILE ]] || die "$ENV_FILE does not exist yet; run deploy/local/servers.sh start"
    cat -- "$ENV_FILE"
}

ONLY=""

main() {
    local cmd=${1:-}
    ONLY=${2:-}
    case $ONLY in
    "" | postgres | rabbitmq) ;;
    *)
        usage
        return 2
        ;;
    esac
    if [[ -n $ONLY && $cmd != start && $cmd != stop ]]; then
        usage
        return 2
    fi
    case $cmd in
    -h | --help | help)
        usage
        return 0
        ;;
    start | stop | status | env) ;;
    *)
        usage
        return 2
        ;;
    esac
    validate_settings
    "cmd_$cmd"
}

main "$@"
