#!/usr/bin/env bash
# Creates, idempotently, what the RunMesh services need on the local servers that
# deploy/local/servers.sh started (it reads $RUNMESH_STATE_DIR/servers/servers.env):
#
#   RabbitMQ    vhost "runmesh", with the operator user "runmesh" given full permissions on it, and
#               one user per service plus the outside-system user, each with exactly the permissions
#               of deploy/rabbitmq/permissions.conf (through the management HTTP API)
#   PostgreSQL  LOGIN roles runmesh_orchestrator, runmesh_approval, runmesh_report, runmesh_planner, each owning
#               the database of the same name
#
# Re-running changes nothing: every object is looked at first and only created or corrected
# when it is missing or different. It then prints, and writes to servers/provision.env, the
# per-service connection strings.
#
# DEV ONLY: each role's and each broker user's password is its own name, and the operator is runmesh/runmesh.
# Both servers listen on 127.0.0.1 alone; never reuse these credentials anywhere else.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)
PATH="$PATH:/usr/lib/postgresql/15/bin"

STATE_DIR=${RUNMESH_STATE_DIR:-$REPO_ROOT/.runmesh}
[[ $STATE_DIR == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
SERVERS_DIR="$STATE_DIR/servers"
ENV_FILE="$SERVERS_DIR/servers.env"
OUT_FILE="$SERVERS_DIR/provision.env"

MESH_VHOST=runmesh
PERMISSIONS_FILE="$REPO_ROOT/deploy/rabbitmq/permissions.conf"
SERVICES=(orchestrator approval report planner) # role = database = password = runmesh_<service>

log() { printf '[provision] %s\n' "$*" >&2; }
die() {
    printf '[provision] ERROR: %s\n' "$*" >&2
    exit 1
}

[[ -f $ENV_FILE ]] || die "$ENV_FILE not found; run deploy/local/servers.sh start first"
# shellcheck source=/dev/null
source "$ENV_FILE"
: "${RUNMESH_POSTGRES:?missing in $ENV_FILE}" "${RUNMESH_RABBITMQ_URL:?missing in $ENV_FILE}"
: "${RUNMESH_RABBITMQ_MANAGEMENT_URL:?missing in $ENV_FILE}"

# --- connection details, from servers.env -----------------------------------------------------

conn_value() { # <key> from RUNMESH_POSTGRES ("Host=...;Port=...;Username=...;Password=...")
    local part key want=${1,,}
    local -a parts
    IFS=';' read -r -a parts <<<"$RUNMESH_POSTGRES"
    for part in "${parts[@]}"; do
        key=${part%%=*}
        if [[ ${key,,} == "$want" ]]; then
            printf '%s\n' "${part#*=}"
            return 0
        fi
    done
    return 1
}
PG_HOST=$(conn_value host) || die "no Host in RUNMESH_POSTGRES"
PG_PORT=$(conn_value port) || die "no Port in RUNMESH_POSTGRES"
PG_ADMIN=$(conn_value username) || die "no Username in RUNMESH_POSTGRES"
PG_ADMIN_PASSWORD=$(conn_value password) || die "no Password in RUNMESH_POSTGRES"

[[ $RUNMESH_RABBITMQ_URL =~ ^amqp://([^:@/]+):([^@/]*)@([^:/]+):([0-9]+)/ ]] ||
    die "cannot parse RUNMESH_RABBITMQ_URL '$RUNMESH_RABBITMQ_URL'"
MQ_USER=${BASH_REMATCH[1]}
MQ_PASSWORD=${BASH_REMATCH[2]}
MQ_HOST=${BASH_REMATCH[3]}
MQ_PORT=${BASH_REMATCH[4]}
MGMT_URL=${RUNMESH_RABBITMQ_MANAGEMENT_URL%/}

# --- RabbitMQ -------------------------------------------------------------------------------------

API_STATUS=""
API_BODY=""
api() { # <method> <path> [json body]; sets API_STATUS and API_BODY
    local out
    local -a args=(-sS -m 15 -u "$MQ_USER:$MQ_PASSWORD" -X "$1" -w '\n%{http_code}')
    if (($# > 2)); then
        args+=(-H 'content-type: application/json' --data "$3")
    fi
    out=$(curl "${args[@]}" "$MGMT_URL$2") ||
        die "RabbitMQ management API at $MGMT_URL is not answering; run deploy/local/servers.sh start"
    API_STATUS=${out##*$'\n'}
    API_BODY=${out%$'\n'*}
}

provision_rabbitmq() {
    api GET /api/whoami
    [[ $API_STATUS == 200 ]] ||
        die "RabbitMQ management API refused $MQ_USER (HTTP $API_STATUS): $API_BODY"

    api GET "/api/vhosts/$MESH_VHOST"
    case $API_STATUS in
    200) log "rabbitmq: vhost '$MESH_VHOST' exists" ;;
    404)
        api PUT "/api/vhosts/$MESH_VHOST" '{"description":"RunMesh services (local dev)"}'
        [[ $API_STATUS == 20[14] ]] || die "creating vhost '$MESH_VHOST' failed (HTTP $API_STATUS): $API_BODY"
        log "rabbitmq: created vhost '$MESH_VHOST'"
        ;;
    *) die "reading vhost '$MESH_VHOST' failed (HTTP $API_STATUS): $API_BODY" ;;
    esac

    api GET "/api/permissions/$MESH_VHOST/$MQ_USER"
    if [[ $API_STATUS == 200 && $API_BODY == *'"configure":".*"'* && $API_BODY == *'"write":".*"'* &&
        $API_BODY == *'"read":".*"'* ]]; then
        log "rabbitmq: user '$MQ_USER' already has full permissions on '$MESH_VHOST'"
    else
        api PUT "/api/permissions/$MESH_VHOST/$MQ_USER" '{"configure":".*","write":".*","read":".*"}'
        [[ $API_STATUS == 20[14] ]] || die "granting '$MQ_USER' on '$MESH_VHOST' failed (HTTP $API_STATUS): $API_BODY"
        log "rabbitmq: granted user '$MQ_USER' full permissions on '$MESH_VHOST'"
    fi

    local user configure write read
    while read -r user configure write read; do
        [[ -z $user || $user == \#* ]] && continue
        provision_broker_user "$user" "$configure" "$write" "$read"
    done <"$PERMISSIONS_FILE"
}

json_string() { # <text> as a JSON string literal (regexes carry backslashes)
    local text=${1//\\/\\\\}
    printf '"%s"' "${text//\"/\\\"}"
}

# A service's or the outside system's user: no tags, password = name (dev only), and on the mesh's vhost exactly the
# permissions of its line in permissions.conf. Only what is missing or different is written.
provision_broker_user() { # <user> <configure> <write> <read>
    local user=$1 wanted
    api GET "/api/users/$user"
    if [[ $API_STATUS != 200 || $API_BODY != *'"tags":[]'* ]]; then
        api PUT "/api/users/$user" "{\"password\":$(json_string "$user"),\"tags\":\"\"}"
        [[ $API_STATUS == 20[14] ]] || die "creating broker user '$user' failed (HTTP $API_STATUS): $API_BODY"
        log "rabbitmq: created user '$user' (no tags)"
    fi

    wanted="{\"configure\":$(json_string "$2"),\"write\":$(json_string "$3"),\"read\":$(json_string "$4")}"
    api GET "/api/permissions/$MESH_VHOST/$user"
    if [[ $API_STATUS == 200 ]] && same_permissions "$API_BODY" "$wanted"; then
        log "rabbitmq: user '$user' has its permissions on '$MESH_VHOST'"
    else
        api PUT "/api/permissions/$MESH_VHOST/$user" "$wanted"
        [[ $API_STATUS == 20[14] ]] || die "granting '$user' on '$MESH_VHOST' failed (HTTP $API_STATUS): $API_BODY"
        log "rabbitmq: set the permissions of '$user' on '$MESH_VHOST'"
    fi
}

same_permissions() { # <json from the API> <json wanted>: equal configure, write and read
    python3 -c 'import json, sys
have, want = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.exit(0 if all(have.get(k) == want[k] for k in ("configure", "write", "read")) else 1)' "$1" "$2"
}

# --- PostgreSQL -----------------------------------------------------------------------------------

psql_as() { # <user> <password> <database> [psql args...]
    local user=$1 password=$2 db=$3
    shift 3
    PGPASSWORD=$password PGCONNECT_TIMEOUT=5 psql -X -v ON_ERROR_STOP=1 \
        -h "$PG_HOST" -p "$PG_PORT" -U "$user" -d "$db" "$@"
}

provision_postgres() {
    psql_as "$PG_ADMIN" "$PG_ADMIN_PASSWORD" postgres -Atqc 'SELECT 1' >/dev/null 2>&1 ||
        die "cannot log in to PostgreSQL at $PG_HOST:$PG_PORT as $PG_ADMIN; run deploy/local/servers.sh start"

    local values="" service role
    for service in "${SERVICES[@]}"; do
        values+="${values:+,}('runmesh_$service')"
    done

    # One session, serialised against concurrent provision runs by an advisory lock. Each
    # \gexec query generates statements only for what is missing or different, so a re-run
    # executes nothing; the second cell of each row reports the change once it is done.
    # (CREATE DATABASE cannot run in a DO block or transaction, hence \gexec.)
    local changes
    changes=$(psql_as "$PG_ADMIN" "$PG_ADMIN_PASSWORD" postgres -Atq <<SQL
SELECT pg_advisory_lock(hashtext('runmesh-provision')) \\g /dev/null
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', r, r), format('SELECT %L', 'created role ' || r)
  FROM (VALUES $values) AS v(r)
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \\gexec
SELECT format('ALTER ROLE %I LOGIN', r), format('SELECT %L', 'gave role ' || r || ' LOGIN')
  FROM (VALUES $values) AS v(r)
 WHERE EXISTS (SELECT FROM pg_roles WHERE rolname = r AND NOT rolcanlogin) \\gexec
SELECT format('CREATE DATABASE %I OWNER %I', r, r), format('SELECT %L', 'created database ' || r || ' owned by ' || r)
  FROM (VALUES $values) AS v(r)
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = r) \\gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', r, r),
       format('SELECT %L', 'made ' || r || ' the owner of database ' || r)
  FROM (VALUES $values) AS v(r)
  JOIN pg_database d ON d.datname = r
 WHERE pg_get_userbyid(d.datdba) <> r \\gexec
SELECT pg_advisory_unlock(hashtext('runmesh-provision')) \\g /dev/null
SQL
    ) || die "provisioning PostgreSQL failed"
    if [[ -n $changes ]]; then
        while IFS= read -r line; do log "postgres: $line"; done <<<"$changes"
    fi

    # Each role must log in to its own database with its documented password; reset the
    # password only if that fails (e.g. someone changed it by hand).
    for service in "${SERVICES[@]}"; do
        role="runmesh_$service"
        if psql_as "$role" "$role" "$role" -Atqc 'SELECT 1' >/dev/null 2>&1; then
            log "postgres: $role logs in to database $role"
        else
            psql_as "$PG_ADMIN" "$PG_ADMIN_PASSWORD" postgres -qc "ALTER ROLE \"$role\" PASSWORD '$role'" >/dev/null
            psql_as "$role" "$role" "$role" -Atqc 'SELECT 1' >/dev/null ||
                die "$role still cannot log in to database $role"
            log "postgres: reset the password of $role"
        fi
    done
}

connection_lines() {
    local service role user key
    # One AMQP URL per broker user of permissions.conf: RUNMESH_<USER WITHOUT runmesh->_AMQP_URL, e.g.
    # RUNMESH_PHASE_WORKER_AMQP_URL; RUNMESH_EXTERNAL_AMQP_URL is the outside systems' credential.
    while read -r user _; do
        [[ -z $user || $user == \#* ]] && continue
        key=${user#runmesh-}
        key=${key//-/_}
        printf 'RUNMESH_%s_AMQP_URL="amqp://%s:%s@%s:%s/%s"\n' \
            "${key^^}" "$user" "$user" "$MQ_HOST" "$MQ_PORT" "$MESH_VHOST"
    done <"$PERMISSIONS_FILE"
    for service in "${SERVICES[@]}"; do
        role="runmesh_$service"
        printf 'RUNMESH_%s_POSTGRES="Host=%s;Port=%s;Database=%s;Username=%s;Password=%s"\n' \
            "${service^^}" "$PG_HOST" "$PG_PORT" "$role" "$role" "$role"
    done
}

provision_rabbitmq
provision_postgres

lines=$(connection_lines)
if [[ -w $SERVERS_DIR ]]; then
    tmp=$(mktemp "$SERVERS_DIR/.provision.env.XXXXXX")
    printf '%s\n' "$lines" >"$tmp"
    chmod 644 "$tmp"
    mv -f -- "$tmp" "$OUT_FILE"
    log "connection strings (also in $OUT_FILE):"
fi
printf '%s\n' "$lines"
