#!/usr/bin/env bash
# The authentication walkthrough of README.md ("Authenticating with curl and openssl"), as a
# script: a new Ed25519 key, the challenge, its signature, the token, and one request with it.
# Keep it in step with the README: these are the README's commands.
#
# Usage: scripts/auth-walkthrough.sh URL [ENTITY_ID]
#   URL        the daemon, e.g. http://127.0.0.1:8080 (RINGWAY_TLS=off) or https://127.0.0.1:8443
#   ENTITY_ID  default: walkthrough
#   CACERT=FILE  trust this certificate for https:// (e.g. .ringway/tls-cert.pem)
#   SKIP_DISCOVER=1  stop after printing the token's expiry (a server without /peers/discover)
# Needs curl, openssl (3.x) and basenc (coreutils). Prints the token's expiry.
set -euo pipefail
URL=${1:?usage: scripts/auth-walkthrough.sh URL [ENTITY_ID]}
ENTITY=${2:-walkthrough}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# With TLS on, every curl below also gets --cacert (the README says: add --cacert or -k).
curl() { command curl ${CACERT:+--cacert "$CACERT"} "$@"; }
# The value of one string or number member of a flat JSON object (enough for these answers).
json_member() { grep -o "\"$1\":\"\\?[^\",}]*" | head -1 | sed -E 's/^"[^"]*":"?//'; }

# 1. What the server speaks (no authentication).
curl -sS --fail-with-body "$URL/peers/capabilities"
echo

# 2. An Ed25519 key; the raw public key is the last 32 bytes of the DER SubjectPublicKeyInfo.
openssl genpkey -algorithm ed25519 -out key.pem
PUBKEY=$(openssl pkey -in key.pem -pubout -outform DER | tail -c 32 | basenc --base64url -w0 | tr -d '=')
echo "pubkey: $PUBKEY"

# 3. The challenge.
CHALLENGE=$(curl -sS --fail-with-body "$URL/auth/token?entity_id=$ENTITY&pubkey=$PUBKEY")
echo "$CHALLENGE"
NONCE=$(echo "$CHALLENGE" | json_member nonce)

# 4. Sign "peer-auth-v1:" + entity id + ":" + nonce (no newline).
printf 'peer-auth-v1:%s:%s' "$ENTITY" "$NONCE" > challenge.txt
SIGNATURE=$(openssl pkeyutl -sign -inkey key.pem -rawin -in challenge.txt | basenc --base64url -w0 | tr -d '=')

# 5. Answer it: the token (a JWT) and its expiry.
ANSWER=$(curl -sS --fail-with-body -H 'Content-Type: application/json' \
  -d "{\"entity_id\":\"$ENTITY\",\"nonce\":\"$NONCE\",\"signature\":\"$SIGNATURE\"}" \
  "$URL/auth/verify")
JWT=$(echo "$ANSWER" | json_member token)
EXPIRES_AT=$(echo "$ANSWER" | json_member expires_at)
echo "token for $ENTITY expires at $EXPIRES_AT ($(date -u -d "@$EXPIRES_AT" '+%Y-%m-%d %H:%M:%S UTC'))"

# 6. Use it.
if [ "${SKIP_DISCOVER:-0}" != 1 ]; then
  curl -sS --fail-with-body -H "Authorization: Bearer $JWT" "$URL/peers/discover"
  echo
fi
