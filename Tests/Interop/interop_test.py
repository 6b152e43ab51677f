"""Interop test: drives a real ringwayd from Python's `websockets` and `pynacl`.

Usage: interop_test.py PATH/TO/ringwayd

It starts `ringwayd serve` itself (plain HTTP on a free loopback port, a temporary data
directory, JSON logs), learns the URL from the "listening" log line, and checks, as an
independent client would:

- authentication: challenge, signature, JWT (EdDSA, verified with the key of
  /.well-known/jwks.json); a bad token is refused with 401 before the WebSocket upgrade;
- the README's curl/openssl walkthrough (scripts/auth-walkthrough.sh) against the same daemon;
- /ws/v1/peers sessions: HELLO -> READY (server signature checked), MESSAGE A->B and B->A with
  ACK delivered, the recipient's ACK received routed back, the sender's bytes forwarded unchanged
  and its signature verifiable end to end; a tampered signature gets ERROR INVALID_SIGNATURE and
  the session stays open; BYE closes with 1000;
- the HTTP fallback: POST /v1/messages, long-poll GET /v1/messages, POST /v1/messages/ack;
- SIGTERM: the open session gets BYE and close 1001, and the daemon exits with status 0.

INTEROP_SKIP_HTTP=1 skips the parts that need the HTTP fallback and /peers/discover. Those parts
are checked on their own: when one fails, the others still run, and every failure is reported.
Exits 0 when everything passed, 1 with a message naming each failed check otherwise.
"""

import base64
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import nacl.exceptions
import nacl.signing
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

OVERALL_TIMEOUT_S = 60
STEP_TIMEOUT_S = 10
REPOSITORY = Path(__file__).resolve().parents[2]

# Never send loopback requests through a proxy from the environment.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def step(text):
    print(f"interop: {text}", flush=True)


# --- encodings -------------------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(obj) -> bytes:
    # RFC 8785 canonical JSON. For these envelopes (members sorted by name, strings, integers,
    # nested objects; no floats) json.dumps with sorted keys, no whitespace and UTF-8 output is
    # exactly RFC 8785: its string escaping matches for the characters used here, and integers
    # print the same in both. Floats would need ECMAScript number formatting, so none are used.
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def uuid7() -> str:
    millis = time.time_ns() // 1_000_000
    raw = bytearray(millis.to_bytes(6, "big") + secrets.token_bytes(10))
    raw[6] = 0x70 | (raw[6] & 0x0F)
    raw[8] = 0x80 | (raw[8] & 0x3F)
    return str(uuid.UUID(bytes=bytes(raw)))


# --- entities --------------------------------------------------------------------------------

class Entity:
    def __init__(self, entity_id):
        self.id = entity_id
        self.key = nacl.signing.SigningKey.generate()
        self.pubkey = b64url(bytes(self.key.verify_key))
        self.token = None

    def envelope(self, type_, to, payload) -> tuple[str, dict]:
        """A signed envelope: its exact text, and the parsed object."""
        obj = {"message_id": uuid7(), "type": type_, "from_entity": self.id, "to_entity": to,
               "timestamp": int(time.time()), "payload": payload}
        obj["signature"] = b64url(self.key.sign(canonical(obj)).signature)
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False), obj


def verify_envelope(obj: dict, verify_key: nacl.signing.VerifyKey, what: str):
    unsigned = {k: v for k, v in obj.items() if k != "signature"}
    try:
        verify_key.verify(canonical(unsigned), unb64url(obj["signature"]))
    except (nacl.exceptions.BadSignatureError, ValueError, KeyError) as error:
        raise Failure(f"{what}: signature does not verify ({error}): {obj}")


# --- the daemon ------------------------------------------------------------------------------

class Daemon:
    def __init__(self, binary, data_dir, tls=False):
        env = dict(os.environ)
        env.update({"RINGWAY_DATA_DIR": data_dir, "RINGWAY_LISTEN": "127.0.0.1:0",
                    "RINGWAY_TLS": "on" if tls else "off", "RINGWAY_LOG_FORMAT": "json"})
        self.process = subprocess.Popen([binary, "serve"], env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.log = []
        self.url = None
        listening = threading.Event()

        def read_log():
            for raw in self.process.stderr:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.log.append(line)
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if record.get("msg") == "listening" and "url" in record:
                    self.url = record["url"]
                    listening.set()
            listening.set()

        self.reader = threading.Thread(target=read_log, daemon=True)
        self.reader.start()
        if not listening.wait(STEP_TIMEOUT_S * 3) or self.url is None:
            self.kill()
            raise Failure("the daemon did not log 'listening' with a url:\n" + "\n".join(self.log))
        self.ws_url = "ws" + self.url[len("http"):]

    def stop(self, signal_sent=False) -> int:
        """SIGTERM (unless already sent: a second one means "exit at once"), then the exit status."""
        if not signal_sent:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STEP_TIMEOUT_S * 2)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("the daemon did not exit within 20 s of SIGTERM")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=STEP_TIMEOUT_S)
        self.process.stderr.close()


# --- HTTP ------------------------------------------------------------------------------------

def http(method, url, body=None, token=None, timeout=STEP_TIMEOUT_S):
    """(status, parsed JSON body or None, raw body)."""
    headers = {}
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with HTTP.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    return status, parsed, raw


def expect_status(result, status, what):
    check(result[0] == status, f"{what}: expected HTTP {status}, got {result[0]} {result[2][:300]!r}")
    return result[1]


def expect_error(result, status, code, what):
    body = expect_status(result, status, what)
    check(isinstance(body, dict) and isinstance(body.get("error"), dict)
          and body["error"].get("code") == code and isinstance(body["error"].get("message"), str),
          f"{what}: expected error body with code {code}, got {result[2][:300]!r}")


# --- authentication --------------------------------------------------------------------------

def authenticate(daemon, entity, server_entity, jwk):
    challenge = expect_status(http("GET", f"{daemon.url}/auth/token?entity_id={entity.id}"
                                          f"&pubkey={entity.pubkey}"), 200, "GET /auth/token")
    check(challenge.get("entity_id") == entity.id, f"challenge names another entity: {challenge}")
    nonce = challenge["nonce"]
    check(len(unb64url(nonce)) == 32, f"nonce is not 32 bytes: {nonce}")
    check(isinstance(challenge.get("expires_at"), int)
          and 0 < challenge["expires_at"] - time.time() <= 61, f"nonce expiry: {challenge}")

    signature = entity.key.sign(f"peer-auth-v1:{entity.id}:{nonce}".encode("ascii")).signature
    answer = expect_status(http("POST", f"{daemon.url}/auth/verify", {
        "entity_id": entity.id, "nonce": nonce, "signature": b64url(signature)}), 200, "POST /auth/verify")
    check(answer.get("token_type") == "Bearer", f"token_type: {answer}")
    token = answer["token"]

    header_text, claims_text, signature_text = token.split(".")
    header = json.loads(unb64url(header_text))
    claims = json.loads(unb64url(claims_text))
    check(header.get("alg") == "EdDSA" and header.get("typ") == "JWT", f"JWT header: {header}")
    check(header.get("kid") == jwk["kid"], f"JWT kid {header.get('kid')} is not the JWKS kid {jwk['kid']}")
    server_key = nacl.signing.VerifyKey(unb64url(jwk["x"]))
    try:
        server_key.verify(f"{header_text}.{claims_text}".encode("ascii"), unb64url(signature_text))
    except nacl.exceptions.BadSignatureError:
        raise Failure("the JWT's signature does not verify with the JWKS key")
    check(claims.get("iss") == server_entity and claims.get("sub") == entity.id
          and claims.get("pk") == entity.pubkey and isinstance(claims.get("jti"), str),
          f"JWT claims: {claims}")
    check(claims.get("exp") == answer.get("expires_at") and claims["exp"] > claims["iat"],
          f"JWT exp {claims.get('exp')} vs expires_at {answer.get('expires_at')}")

    reused = http("POST", f"{daemon.url}/auth/verify", {
        "entity_id": entity.id, "nonce": nonce, "signature": b64url(signature)})
    expect_error(reused, 401, "AUTH_FAILED", "a second verify with the same nonce")
    entity.token = token


# --- WebSocket sessions ----------------------------------------------------------------------

class Session:
    def __init__(self, daemon, entity, server, header_token=False):
        self.entity = entity
        self.server = server  # (server entity id, VerifyKey)
        url = f"{daemon.ws_url}/ws/v1/peers?entity_id={entity.id}"
        headers = None
        if header_token:
            headers = {"Authorization": f"Bearer {entity.token}"}
        else:
            url += f"&token={entity.token}"
        self.ws = connect(url, additional_headers=headers, proxy=None, compression=None,
                          open_timeout=STEP_TIMEOUT_S, ping_interval=None, legacy=True)

    def send(self, text):
        self.ws.send(text)

    def receive(self, what) -> tuple[str, dict]:
        try:
            text = self.ws.recv(timeout=STEP_TIMEOUT_S)
        except TimeoutError:
            raise Failure(f"{self.entity.id}: nothing received within {STEP_TIMEOUT_S} s (waiting for {what})")
        except ConnectionClosed as closed:
            raise Failure(f"{self.entity.id}: connection closed ({closed}) while waiting for {what}")
        check(isinstance(text, str), f"{self.entity.id}: a binary frame while waiting for {what}")
        return text, json.loads(text)

    def receive_from_server(self, type_, what) -> dict:
        _, obj = self.receive(what)
        server_id, server_key = self.server
        check(obj.get("type") == type_, f"{self.entity.id}: expected {type_} ({what}), got {obj}")
        check(obj.get("from_entity") == server_id and obj.get("to_entity") == self.entity.id,
              f"{what}: from/to of a server envelope: {obj}")
        verify_envelope(obj, server_key, what)
        return obj

    def hello(self):
        text, _ = self.entity.envelope("HELLO", None, {"protocol_versions": ["1.2"], "capabilities": {}})
        self.send(text)
        ready = self.receive_from_server("READY", "READY")
        payload = ready["payload"]
        check(payload.get("protocol") == "1.2" and isinstance(payload.get("session_id"), str)
              and isinstance(payload.get("heartbeat_interval_s"), int)
              and isinstance(payload.get("max_message_bytes"), int), f"READY payload: {payload}")

    def expect_ack(self, message_id, status, what):
        ack = self.receive_from_server("ACK", what)
        check(ack["payload"] == {"ack_id": message_id, "status": status},
              f"{what}: expected ACK {status} for {message_id}, got {ack['payload']}")

    def expect_close(self, code, what):
        try:
            while True:
                text = self.ws.recv(timeout=STEP_TIMEOUT_S)
                raise Failure(f"{what}: expected close {code}, got a message {text!r}")
        except TimeoutError:
            raise Failure(f"{what}: not closed within {STEP_TIMEOUT_S} s")
        except ConnectionClosed:
            pass
        received = self.ws.close_code
        check(received == code, f"{what}: expected close code {code}, got {received}")


def exchange(sender: Session, recipient: Session, payload):
    """MESSAGE sender -> recipient over WebSocket, ACK delivered, ACK received routed back."""
    s, r = sender.entity, recipient.entity
    text, message = s.envelope("MESSAGE", r.id, payload)
    sender.send(text)
    sender.expect_ack(message["message_id"], "delivered", f"ACK for {s.id}->{r.id}")
    received_text, received = recipient.receive(f"MESSAGE from {s.id}")
    check(received_text == text, f"{r.id} got other bytes than {s.id} sent:\n{received_text}\n{text}")
    verify_envelope(received, s.key.verify_key, f"{s.id}'s MESSAGE as {r.id} received it")

    ack_text, _ = r.envelope("ACK", s.id, {"ack_id": message["message_id"], "status": "received"})
    recipient.send(ack_text)
    routed_text, routed = sender.receive(f"{r.id}'s ACK received")
    check(routed_text == ack_text, f"{s.id} got other bytes than {r.id}'s ACK:\n{routed_text}\n{ack_text}")
    verify_envelope(routed, r.key.verify_key, f"{r.id}'s ACK as {s.id} received it")


def websocket_part(daemon, a, b, server):
    step("a bad token is refused with 401 before the upgrade")
    forged = a.token.rsplit(".", 1)[0] + "." + b.token.rsplit(".", 1)[1]
    for bad in (forged, "not-a-token"):
        try:
            connect(f"{daemon.ws_url}/ws/v1/peers?entity_id={a.id}&token={bad}", proxy=None,
                    compression=None, open_timeout=STEP_TIMEOUT_S, legacy=True).close()
            raise Failure("an upgrade with a bad token was accepted")
        except InvalidStatus as refused:
            check(refused.response.status_code == 401,
                  f"bad token: expected 401, got {refused.response.status_code}")

    step("HELLO -> READY for A (token in the query) and B (token in the Authorization header)")
    session_a = Session(daemon, a, server)
    session_a.hello()
    session_b = Session(daemon, b, server, header_token=True)
    session_b.hello()

    step("MESSAGE A->B: ACK delivered, bytes unchanged, ACK received routed back")
    exchange(session_a, session_b, {"text": "h\u00e9llo \u2713 from A", "n": 1, "nested": {"z": [1, 2], "a": None}})
    step("MESSAGE B->A")
    exchange(session_b, session_a, {"text": "reply from B", "n": 2})

    step("a tampered signature gets ERROR INVALID_SIGNATURE and the session stays open")
    _, tampered = a.envelope("MESSAGE", b.id, {"text": "tampered"})
    signature = bytearray(unb64url(tampered["signature"]))
    signature[0] ^= 0x01
    tampered["signature"] = b64url(bytes(signature))
    session_a.send(json.dumps(tampered, separators=(",", ":")))
    error = session_a.receive_from_server("ERROR", "ERROR for a tampered signature")
    check(error["payload"].get("code") == "INVALID_SIGNATURE" and error["payload"].get("ref") == tampered["message_id"],
          f"tampered signature: expected INVALID_SIGNATURE with ref, got {error['payload']}")
    # The next message B receives is this one: the tampered one was not forwarded.
    exchange(session_a, session_b, {"text": "after the tampered one"})

    step("BYE from B: close 1000")
    bye, _ = b.envelope("BYE", None, {})
    session_b.send(bye)
    session_b.expect_close(1000, "BYE")
    return session_a


# --- HTTP fallback ---------------------------------------------------------------------------

def http_fallback_part(daemon, a, b, session_a):
    url = daemon.url

    step("HTTP: wait=31 is 400 MALFORMED; no token is 401")
    expect_error(http("GET", f"{url}/v1/messages?wait=31", token=b.token), 400, "MALFORMED", "GET /v1/messages?wait=31")
    expect_error(http("GET", f"{url}/v1/messages?wait=0"), 401, "AUTH_FAILED", "GET /v1/messages without a token")

    step("HTTP: B long-polls; A's MESSAGE is ACKed queued and handed to B's poll")
    polled = queue.Queue()

    def poll():
        started = time.monotonic()
        try:
            polled.put((http("GET", f"{url}/v1/messages?wait=10", token=b.token, timeout=20), time.monotonic() - started))
        except Exception as error:  # reported by the main thread
            polled.put((error, 0))

    threading.Thread(target=poll, daemon=True).start()
    text, message = a.envelope("MESSAGE", b.id, {"text": "to B on HTTP", "n": 3})
    session_a.send(text)
    session_a.expect_ack(message["message_id"], "queued", "ACK for A->B while B polls")
    try:
        result, elapsed = polled.get(timeout=15)
    except queue.Empty:
        raise Failure("B's long poll did not return within 15 s")
    if isinstance(result, Exception):
        raise Failure(f"B's long poll failed: {result!r}")
    body = expect_status(result, 200, "GET /v1/messages?wait=10")
    check(elapsed < 5, f"B's poll took {elapsed:.1f} s: the message was not handed to it at once")
    found = [m for m in body.get("messages", []) if m.get("message_id") == message["message_id"]]
    check(len(found) == 1, f"B's poll did not return A's message once: {body}")
    check(found[0] == message, f"the polled envelope differs from what A signed:\n{found[0]}\n{message}")
    verify_envelope(found[0], a.key.verify_key, "A's MESSAGE as B polled it")

    step("HTTP: B posts ACK received; A gets it over its WebSocket")
    ack_text, _ = b.envelope("ACK", a.id, {"ack_id": message["message_id"], "status": "received"})
    answer = expect_status(http("POST", f"{url}/v1/messages", ack_text.encode("utf-8"), token=b.token), 202, "POST ACK envelope")
    check(answer == {"ack_id": message["message_id"], "status": "received"}, f"answer to B's ACK: {answer}")
    routed_text, routed = session_a.receive("B's ACK posted over HTTP")
    check(routed_text == ack_text, f"A got other bytes than B posted:\n{routed_text}\n{ack_text}")
    verify_envelope(routed, b.key.verify_key, "B's ACK as A received it")

    step("HTTP: B posts a MESSAGE to A: 202 delivered; A receives it")
    text, message = b.envelope("MESSAGE", a.id, {"text": "from B over HTTP", "n": 4})
    answer = expect_status(http("POST", f"{url}/v1/messages", text.encode("utf-8"), token=b.token), 202, "POST MESSAGE")
    check(answer == {"ack_id": message["message_id"], "status": "delivered"}, f"answer to B's MESSAGE: {answer}")
    received_text, received = session_a.receive("B's MESSAGE posted over HTTP")
    check(received_text == text, f"A got other bytes than B posted:\n{received_text}\n{text}")
    verify_envelope(received, b.key.verify_key, "B's MESSAGE as A received it")
    ack_text, _ = a.envelope("ACK", b.id, {"ack_id": message["message_id"], "status": "received"})
    session_a.send(ack_text)

    step("HTTP: a polled message is not handed out again until acknowledged; POST /v1/messages/ack")
    text, message = a.envelope("MESSAGE", b.id, {"text": "acknowledge me", "n": 5})
    session_a.send(text)
    session_a.expect_ack(message["message_id"], "queued", "ACK for A->B (B on HTTP fallback)")
    body = expect_status(http("GET", f"{url}/v1/messages?wait=5&limit=1000", token=b.token), 200, "poll")
    check(message in body.get("messages", []), f"B's poll did not return A's message: {body}")
    body = expect_status(http("GET", f"{url}/v1/messages?wait=0", token=b.token), 200, "second poll")
    check(all(m.get("message_id") != message["message_id"] for m in body.get("messages", [])),
          f"a polled, unacknowledged message was handed out again at once: {body}")
    acked = {"ack_ids": [message["message_id"]]}
    answer = expect_status(http("POST", f"{url}/v1/messages/ack", acked, token=b.token), 200, "POST /v1/messages/ack")
    check(answer == {"acknowledged": 1}, f"first acknowledgement: {answer}")
    answer = expect_status(http("POST", f"{url}/v1/messages/ack", acked, token=b.token), 200, "POST /v1/messages/ack again")
    check(answer == {"acknowledged": 0}, f"second acknowledgement of the same id: {answer}")


# --- the run ---------------------------------------------------------------------------------

def readme_walkthrough_in_step():
    """Every line of README.md's walkthrough block is a line of scripts/auth-walkthrough.sh."""
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    marker = "<!-- the same commands as scripts/auth-walkthrough.sh"
    check(marker in readme, "README.md has no walkthrough block marked for scripts/auth-walkthrough.sh")
    block = readme.split(marker, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    script = {line.strip() for line in (REPOSITORY / "scripts/auth-walkthrough.sh").read_text(encoding="utf-8").splitlines()}
    # The README sets URL and ENTITY by hand; the script takes them as arguments.
    missing = [line for line in block.splitlines()
               if line.strip() and not line.startswith(("URL=", "ENTITY=")) and line.strip() not in script]
    check(not missing, "README walkthrough lines missing from scripts/auth-walkthrough.sh:\n  " + "\n  ".join(missing))


def walkthrough(url, entity_id, skip_discover, cacert=None):
    env = dict(os.environ)
    for name in ("CACERT", "SKIP_DISCOVER", "http_proxy", "https_proxy", "all_proxy",
                 "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):  # loopback requests go direct
        env.pop(name, None)
    if cacert:
        env["CACERT"] = cacert
    if skip_discover:
        env["SKIP_DISCOVER"] = "1"
    try:
        done = subprocess.run([str(REPOSITORY / "scripts/auth-walkthrough.sh"), url, entity_id], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=STEP_TIMEOUT_S * 2)
    except subprocess.TimeoutExpired:
        raise Failure(f"scripts/auth-walkthrough.sh {url} did not finish within {STEP_TIMEOUT_S * 2} s")
    check(done.returncode == 0 and f"token for {entity_id} expires at" in done.stdout,
          f"scripts/auth-walkthrough.sh {url} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def discovery_part(daemon, a, b):
    step("README walkthrough including GET /peers/discover")
    walkthrough(daemon.url, "walkthrough-discover", skip_discover=False)
    step("GET /peers/discover lists B with its key")
    expect_error(http("GET", f"{daemon.url}/peers/discover"), 401, "AUTH_FAILED", "GET /peers/discover without a token")
    body = expect_status(http("GET", f"{daemon.url}/peers/discover", token=a.token), 200, "GET /peers/discover")
    entries = [p for p in body.get("peers", []) if p.get("entity_id") == b.id]
    check(len(entries) == 1, f"discover does not list {b.id} once: {body}")
    entry = entries[0]
    check(entry.get("pubkey") == b.pubkey and isinstance(entry.get("online"), bool)
          and entry.get("transport") in ("websocket", "http", None)
          and (entry.get("last_seen") is None or isinstance(entry.get("last_seen"), int)),
          f"discover entry of {b.id}: {entry}")


def run(binary, skip_http):
    """Runs every check; returns the failures of the parts that are checked independently."""
    failures = []
    with tempfile.TemporaryDirectory(prefix="ringway-interop-") as data_dir:
        daemon = Daemon(binary, data_dir)
        try:
            step(f"daemon listening on {daemon.url}")
            capabilities = expect_status(http("GET", f"{daemon.url}/peers/capabilities"), 200, "capabilities")
            check("1.2" in capabilities.get("protocol_versions", []), f"capabilities: {capabilities}")
            server_entity = capabilities["server_entity"]
            jwks = expect_status(http("GET", f"{daemon.url}/.well-known/jwks.json"), 200, "JWKS")
            jwk = jwks["keys"][0]
            check(jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519", f"JWKS: {jwks}")
            server = (server_entity, nacl.signing.VerifyKey(unb64url(jwk["x"])))

            step("README walkthrough up to the token (curl + openssl)")
            readme_walkthrough_in_step()
            for line in walkthrough(daemon.url, "walkthrough", skip_discover=True).splitlines():
                if "expires at" in line:
                    step(line)

            step("authentication of A and B (pynacl), JWT checked against the JWKS")
            a, b = Entity("interop-a"), Entity("interop-b")
            authenticate(daemon, a, server_entity, jwk)
            authenticate(daemon, b, server_entity, jwk)

            session_a = websocket_part(daemon, a, b, server)
            if skip_http:
                step("HTTP fallback and discovery skipped (INTEROP_SKIP_HTTP=1)")
            else:
                # Checked on their own: a failure here is reported, and the rest still runs.
                for name, part in (("discovery", lambda: discovery_part(daemon, a, b)),
                                   ("HTTP fallback", lambda: http_fallback_part(daemon, a, b, session_a))):
                    try:
                        part()
                    except Exception as failure:  # any error of the part, reported with the rest
                        text = str(failure) if isinstance(failure, Failure) else repr(failure)
                        step(f"FAIL ({name}): {text}")
                        failures.append(f"{name}: {text}")

            step("SIGTERM: A's session gets BYE and close 1001; the daemon exits 0")
            daemon.process.send_signal(signal.SIGTERM)
            while True:
                _, envelope = session_a.receive("BYE on shutdown")
                # After a failed HTTP fallback part, envelopes meant for it may still arrive.
                if envelope.get("type") == "BYE" or not failures:
                    break
            check(envelope.get("type") == "BYE", f"expected BYE on shutdown, got {envelope}")
            check(envelope.get("from_entity") == server_entity and envelope.get("to_entity") == a.id,
                  f"BYE on shutdown: from/to {envelope}")
            verify_envelope(envelope, server[1], "BYE on shutdown")
            session_a.expect_close(1001, "shutdown")
            status = daemon.stop(signal_sent=True)
            check(status == 0, f"the daemon exited with status {status} after SIGTERM")
        except BaseException:
            print("interop: daemon log (last lines):\n  " + "\n  ".join(daemon.log[-30:]), file=sys.stderr)
            raise
        finally:
            daemon.kill()

    step("README walkthrough against the TLS default (--cacert DATA_DIR/tls-cert.pem)")
    with tempfile.TemporaryDirectory(prefix="ringway-interop-tls-") as data_dir:
        daemon = Daemon(binary, data_dir, tls=True)
        try:
            check(daemon.url.startswith("https://"), f"TLS daemon URL: {daemon.url}")
            walkthrough(daemon.url, "walkthrough-tls", skip_discover=True,
                        cacert=os.path.join(data_dir, "tls-cert.pem"))
            status = daemon.stop()
            check(status == 0, f"the TLS daemon exited with status {status} after SIGTERM")
        finally:
            daemon.kill()
    return failures


def main():
    if len(sys.argv) != 2:
        print("usage: interop_test.py PATH/TO/ringwayd", file=sys.stderr)
        return 2
    skip_http = os.environ.get("INTEROP_SKIP_HTTP") == "1"

    def timed_out(_signum, _frame):
        raise Failure(f"the interop test did not finish within {OVERALL_TIMEOUT_S} s")

    signal.signal(signal.SIGALRM, timed_out)
    signal.alarm(OVERALL_TIMEOUT_S)
    try:
        failures = run(sys.argv[1], skip_http)
    except Failure as failure:
        failures = [str(failure)]
    finally:
        signal.alarm(0)
    if failures:
        print("interop: FAIL: " + "\ninterop: FAIL: ".join(failures), file=sys.stderr)
        return 1
    print("interop: passed" + (" (HTTP fallback and discovery skipped)" if skip_http else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
