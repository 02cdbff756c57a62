#!/usr/bin/env bash
# Makes the gateway's signing key pair for local use (idempotent): a P-256 private key (PKCS#8 PEM) that only the
# gateway reads, and its public key (SubjectPublicKeyInfo PEM) that every service reads to validate the identity
# tokens the gateway forwards (ES256). An existing pair is kept, so restarts do not invalidate anything.
#
# Usage: deploy/local/gateway-keys.sh          writes .runmesh/keys/gateway-signing.{key,pub}, prints both paths
#        RUNMESH_KEYS_DIR=/elsewhere deploy/local/gateway-keys.sh
#        RUNMESH_KEYS_GROUP=1654 deploy/local/gateway-keys.sh   the private key readable by that group (mode 640),
#                                                               e.g. the containers' `app` user (docker-compose.yml)
# Rotation: see docs/gateway.md (services accept several public keys in one PEM file).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)
STATE_DIR=${RUNMESH_STATE_DIR:-$REPO_ROOT/.runmesh}
KEYS_DIR=${RUNMESH_KEYS_DIR:-$STATE_DIR/keys}
PRIVATE_KEY="$KEYS_DIR/gateway-signing.key"
PUBLIC_KEY="$KEYS_DIR/gateway-signing.pub"

command -v openssl >/dev/null || { echo "[keys] ERROR: openssl is required" >&2; exit 1; }
mkdir -p "$KEYS_DIR"
[[ -n ${RUNMESH_KEYS_GROUP:-} ]] || chmod 700 "$KEYS_DIR"

if [[ ! -s $PRIVATE_KEY ]]; then
    # Written under a temporary name first: an interrupted run never leaves half a key behind.
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PRIVATE_KEY.tmp" 2>/dev/null)
    mv "$PRIVATE_KEY.tmp" "$PRIVATE_KEY"
    rm -f "$PUBLIC_KEY"
    echo "[keys] generated a new P-256 signing key: $PRIVATE_KEY" >&2
fi
if [[ -n ${RUNMESH_KEYS_GROUP:-} ]]; then
    chgrp "$RUNMESH_KEYS_GROUP" "$PRIVATE_KEY"
    chmod 640 "$PRIVATE_KEY"
    chmod 755 "$KEYS_DIR"
else
    chmod 600 "$PRIVATE_KEY"
fi

if [[ ! -s $PUBLIC_KEY ]]; then
    openssl pkey -in "$PRIVATE_KEY" -pubout -out "$PUBLIC_KEY.tmp" 2>/dev/null
    mv "$PUBLIC_KEY.tmp" "$PUBLIC_KEY"
fi
chmod 644 "$PUBLIC_KEY"

echo "RUNMESH_GATEWAY_PRIVATE_KEY=$PRIVATE_KEY"
echo "RUNMESH_GATEWAY_PUBLIC_KEY=$PUBLIC_KEY"
