import RingwayEnvelope
import RingwayHTTP
import RingwayWebSocket

/// `GET /ws/v1/peers?entity_id=E&token=JWT` (contract: WebSocket endpoints).
///
/// Refusals are ordinary HTTP responses with the contract's error body, before any upgrade
/// (``AuthenticatedUpgrade``): 400/426 for a bad handshake, 400 `MALFORMED` for a missing or
/// invalid `entity_id`, 429 `RATE_LIMITED` past the handshake rate, 401 `AUTH_FAILED` or
/// `TOKEN_EXPIRED` for a missing, invalid or expired token or one issued to another entity, 403
/// `FORBIDDEN` for an entity not on the allow-list (a token issued before the list changed). The
/// token is never logged (the access log has the path only).
public struct PeerUpgrader: HTTPUpgrader {
    /// The sessions' hub.
    public let hub: PeerHub

    /// Creates the upgrader.
    public init(hub: PeerHub) {
        self.hub = hub
    }

    public func upgrade(_ request: HTTPRequest, context: RequestContext) async -> UpgradeDecision {
        switch AuthenticatedUpgrade.check(request, context: context, hub: hub) {
        case .refused(let response):
            return .refuse(response)
        case .passed(let handshake, let entity):
            return .accept(AuthenticatedUpgrade.switchingHead(for: handshake), PeerUpgradedSession(entity: entity, hub: hub))
        }
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
