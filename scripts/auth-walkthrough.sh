#!/usr/bin/env bash
# The authentication walkthrough of README.md ("Authenticating with curl and openssl"), as a
# script: a new Ed25519 key, the challenge, its signature, the token, and one request with it.
# These are the README's commands, line for line; the interop test checks that they stay in step.
#
# Usage: scripts/auth-walkthrough.sh URL [ENTITY_ID]
#   URL        the daemon, e.g. http://127.0.0.1:8080 (RINGWAY_TLS=off) or https://127.0.0.1:8443
#   ENTITY_ID  default: walkthrough-<random hex> (the daemon pins an entity's first key, and this
#              script makes a new key each run)
#   CACERT=FILE  trust this certificate for https:// (e.g. .ringway/tls-cert.pem)
#   SKIP_DISCOVER=1  stop after printing the token's expiry (a server without /peers/discover)
# Needs curl, openssl (3.x) and basenc (coreutils). Prints the token's expiry.
set -euo pipefail
URL=${1:?usage: scripts/auth-walkthrough.sh URL [ENTITY_ID]}
ENTITY=${2:-walkthrough-$(openssl rand -hex 4)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# With TLS on, every curl below also gets --cacert (the README says: add --cacert or -k).
curl() { command curl ${CACERT:+--cacert "$CACERT"} "$@"; }

# 1. What the server speaks (no authentication).
curl -sS --fail-with-body "$URL/peers/capabilities"
echo

# 2. An Ed25519 key; the raw public key is the last 32 bytes of the DER SubjectPublicKeyInfo.
openssl genpkey -algorithm ed25519 -out key.pem
PUBKEY=$(openssl pkey -in key.pem -pubout -outform DER | tail -c 32 | basenc --base64url -w0 | tr -d '=')
echo "pubkey: $PUBKEY"

# 3. The challenge: {"entity_id":…,"nonce":…,"expires_at":…}; the nonce is valid for 60 s.
CHALLENGE=$(curl -sS --fail-with-body "$URL/auth/token?entity_id=$ENTITY&pubkey=$PUBKEY")
echo "$CHALLENGE"
NONCE=$(echo "$CHALLENGE" | sed -E 's/.*"nonce":"([^"]+)".*/\1/')

# 4. Sign "peer-auth-v1:" + entity id + ":" + nonce (no newline).
printf 'peer-auth-v1:%s:%s' "$ENTITY" "$NONCE" > challenge.txt
SIGNATURE=$(openssl pkeyutl -sign -inkey key.pem -rawin -in challenge.txt | basenc --base64url -w0 | tr -d '=')

# 5. Answer it: {"token":JWT,"token_type":"Bearer","expires_at":…}.
ANSWER=$(curl -sS --fail-with-body -H 'Content-Type: application/json' \
  -d "{\"entity_id\":\"$ENTITY\",\"nonce\":\"$NONCE\",\"signature\":\"$SIGNATURE\"}" \
  "$URL/auth/verify")
JWT=$(echo "$ANSWER" | sed -E 's/.*"token":"([^"]+)".*/\1/')
EXPIRES_AT=$(echo "$ANSWER" | sed -E 's/.*"expires_at":([0-9]+).*/\1/')
echo "token for $ENTITY expires at $EXPIRES_AT ($(date -u -d "@$EXPIRES_AT" '+%Y-%m-%d %H:%M:%S UTC'))"

# 6. Use it.
if [ "${SKIP_DISCOVER:-0}" != 1 ]; then
  curl -sS --fail-with-body -H "Authorization: Bearer $JWT" "$URL/peers/discover"
  echo
fi
