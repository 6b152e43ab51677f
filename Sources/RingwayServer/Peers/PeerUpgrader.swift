import RingwayEnvelope
import RingwayHTTP
import RingwayWebSocket

/// `GET /ws/v1/peers?entity_id=E&token=JWT` (contract: WebSocket endpoints).
///
/// Refusals are ordinary HTTP responses with the contract's error body, before any upgrade:
/// a request that is not a valid WebSocket handshake gets 400 `MALFORMED` (426 with
/// `Sec-WebSocket-Version: 13` for another WebSocket version); a missing or invalid `entity_id`,
/// 400 `MALFORMED`; a missing, invalid or expired token, or one issued to another entity, 401
/// `AUTH_FAILED` or `TOKEN_EXPIRED`; an entity not on the allow-list (a token issued before the
/// list changed), 403 `FORBIDDEN`. Before all of these, an address over its handshake rate gets
/// 429 `RATE_LIMITED` with `Retry-After`. The token is never logged (the access log has the path only).
public struct PeerUpgrader: HTTPUpgrader {
    /// The sessions' hub.
    public let hub: PeerHub

    /// Creates the upgrader.
    public init(hub: PeerHub) {
        self.hub = hub
    }

    public func upgrade(_ request: HTTPRequest, context: RequestContext) async -> UpgradeDecision {
        if let refusal = hub.admission.admitHandshake(from: context.remoteAddress, now: hub.now) {
            return .refuse(refusal.response)
        }
        let handshake: WebSocketUpgradeRequest
        do {
            handshake = try WebSocketServerHandshake.validate(request.head)
        } catch {
            return .refuse(Self.refusal(error))
        }
        let entityParameter: String?
        do {
            let values = try request.head.queryParameters().values(for: "entity_id")
            entityParameter = values.count == 1 ? values[0] : nil
        } catch {
            entityParameter = nil
        }
        guard let entityText = entityParameter, let entityID = EntityID(entityText) else {
            return .refuse(.error(.malformed, message: "entity_id must name one entity: 1 to 64 characters from A-Z a-z 0-9 . _ -"))
        }
        let entity: AuthenticatedEntity
        do {
            entity = try hub.auth.authenticate(request.head, now: hub.clock.unixSeconds())
        } catch {
            // A malformed query is also an authentication failure here: the token could not be read.
            let code: WireErrorCode = error.code == .tokenExpired ? .tokenExpired : .authFailed
            return .refuse(.error(code, message: error.message))
        }
        guard entity.entityID == entityID else {
            return .refuse(.error(.authFailed, message: "the token was not issued to this entity"))
        }
        guard hub.admission.mayConnect(entityID) else {
            return .refuse(.error(.forbidden, message: "this entity is not on the allow-list"))
        }
        let head = ResponseHead(status: .switchingProtocols, headers: [
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Accept": WebSocketServerHandshake.acceptValue(forKey: handshake.key),
        ])
        return .accept(head, PeerUpgradedSession(entity: entity, hub: hub))
    }

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

/// Runs a ``PeerSession`` on an accepted connection.
struct PeerUpgradedSession: UpgradedSession {
    let entity: AuthenticatedEntity
    let hub: PeerHub

    func run(on stream: UpgradedStream, context: RequestContext, isolation: isolated any Actor) async {
        let session = PeerSession(stream: LoopConfinedStream(stream), entity: entity, hub: hub, logger: context.logger)
        await session.run()
    }
}
