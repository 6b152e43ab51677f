import RingwayEnvelope
import RingwayHTTP
import RingwayWebSocket

/// The checks both WebSocket endpoints (`/ws/v1/peers`, `/ws/v1/events`) make before switching
/// protocols, in this order (contract: WebSocket endpoints):
///
/// 1. a valid RFC 6455 handshake, else 400 `MALFORMED` (426 with `Sec-WebSocket-Version: 13` for
///    another WebSocket version);
/// 2. exactly one valid `entity_id`, else 400 `MALFORMED`;
/// 3. the handshake rate of the client's address, else 429 `RATE_LIMITED` with `Retry-After`
///    (checked before the token, whose verification is the expensive step);
/// 4. a valid token (query `token` or `Authorization: Bearer`) issued to that entity, else 401
///    `AUTH_FAILED` or `TOKEN_EXPIRED`;
/// 5. an entity the allow-list lets connect (a token may predate the list), else 403 `FORBIDDEN`.
///
/// What else an endpoint allows (403 `FORBIDDEN`) is its own check, made after these. Tokens are
/// never logged: the access log has the path only.
enum AuthenticatedUpgrade {
    /// The result of ``check(_:context:hub:)``.
    enum Outcome {
        /// The request may switch protocols for `entity`.
        case passed(WebSocketUpgradeRequest, AuthenticatedEntity)
        /// Answer with this response and stay on HTTP.
        case refused(HTTPResponse)
    }

    /// Runs the shared checks on an upgrade request.
    static func check(_ request: HTTPRequest, context: RequestContext, hub: PeerHub) -> Outcome {
        let handshake: WebSocketUpgradeRequest
        do {
            handshake = try WebSocketServerHandshake.validate(request.head)
        } catch {
            return refuse(refusal(error), code: .malformed, metrics: hub.metrics)
        }
        let entityParameter: String?
        do {
            let values = try request.head.queryParameters().values(for: "entity_id")
            entityParameter = values.count == 1 ? values[0] : nil
        } catch {
            entityParameter = nil
        }
        guard let entityText = entityParameter, let entityID = EntityID(entityText) else {
            let message = "entity_id must name one entity: 1 to 64 characters from A-Z a-z 0-9 . _ -"
            return refuse(.error(.malformed, message: message), code: .malformed, metrics: hub.metrics)
        }
        let now = hub.now
        if let refusal = hub.admission.admitHandshake(from: context.remoteAddress, now: now) {
            return .refused(Self.refusal(refusal, metrics: hub.metrics))
        }
        let entity: AuthenticatedEntity
        do {
            entity = try hub.auth.authenticate(request.head, now: now / 1_000)
        } catch {
            // A malformed query is also an authentication failure here: the token could not be read.
            let code: WireErrorCode = error.code == .tokenExpired ? .tokenExpired : .authFailed
            return refuse(.error(code, message: error.message), code: code, metrics: hub.metrics)
        }
        guard entity.entityID == entityID else {
            return refuse(.error(.authFailed, message: "the token was not issued to this entity"), code: .authFailed, metrics: hub.metrics)
        }
        // A token issued before the allow-list dropped its entity.
        guard hub.admission.mayConnect(entityID) else {
            let refusal = AdmissionRefusal(code: .forbidden, message: "this entity is not on the allow-list")
            return .refused(Self.refusal(refusal, metrics: hub.metrics))
        }
        return .passed(handshake, entity)
    }

    /// The `101 Switching Protocols` head that accepts `handshake`.
    static func switchingHead(for handshake: WebSocketUpgradeRequest) -> ResponseHead {
        ResponseHead(status: .switchingProtocols, headers: [
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Accept": WebSocketServerHandshake.acceptValue(forKey: handshake.key),
        ])
    }

    /// A policy or rate refusal as an HTTP response (403, or 429 with `Retry-After`), counted.
    static func refusal(_ refusal: AdmissionRefusal, metrics: ServerMetrics) -> HTTPResponse {
        metrics.refused(refusal.code)
        return refusal.response
    }

    private static func refuse(_ response: HTTPResponse, code: WireErrorCode, metrics: ServerMetrics) -> Outcome {
        metrics.refused(code)
        return .refused(response)
    }

    /// The response to a request that is not a valid WebSocket handshake.
    static func refusal(_ error: WebSocketHandshakeError) -> HTTPResponse {
        let message: String
        switch error.kind {
        case .methodNotGet: message = "a WebSocket upgrade uses GET"
        case .versionNotHTTP11: message = "a WebSocket upgrade needs HTTP/1.1"
        case .missingUpgradeHeader: message = "Upgrade: websocket is required"
        case .missingConnectionUpgrade: message = "Connection: Upgrade is required"
        case .invalidKey: message = "Sec-WebSocket-Key must be base64 of 16 bytes"
        case .unsupportedVersion: message = "only WebSocket version 13 is supported"
        case .invalidSubprotocol: message = "Sec-WebSocket-Protocol is malformed"
        case .unexpectedStatus, .invalidAccept, .unexpectedSubprotocol, .unexpectedExtension: message = "invalid WebSocket handshake"
        }
        var response = HTTPResponse.error(status: error.status, code: WireErrorCode.malformed.rawValue, message: message)
        if error.kind == .unsupportedVersion { response.headers.add(name: "Sec-WebSocket-Version", value: "13") }
        return response
    }
}
