import RingwayCrypto
import RingwayHTTP
import RingwayJSON

/// The routes of the daemon. Later features add theirs to the same table (`/auth/...`,
/// `/ws/v1/...` as upgrade routes, `/v1/messages`).
public enum DaemonRoutes {
    /// The protocol versions this server speaks, in the capabilities document.
    public static let protocolVersions = ["1.1", "1.2"]
    /// The WebSocket paths of the contract.
    public static let peersPath = "/ws/v1/peers"
    /// The event stream path of the contract.
    public static let eventsPath = "/ws/v1/events"
    /// The Prometheus exposition path (no token, like `/healthz`: bind to loopback or firewall it).
    public static let metricsPath = "/metrics"

    /// `GET /healthz`, `GET /metrics`, `GET /peers/capabilities`, `GET /.well-known/jwks.json`,
    /// `GET /auth/token` and `POST /auth/verify` over `auth`; the `/ws/v1/peers` sessions, the
    /// `/ws/v1/events` subscribers, the HTTP fallback and discovery over `peers` (a hub with the
    /// configuration's settings when nil).
    public static func router(
        configuration: ServerConfiguration, identity: NodeIdentity, auth: AuthService, peers: PeerHub? = nil
    ) -> Router {
        var router = Router()
        let health = HTTPResponse.json(Array(#"{"status":"ok"}"#.utf8))
        router.add(.get, "/healthz", maxBodyBytes: 0) { _, _ in health }

        let capabilities = HTTPResponse.json(capabilitiesDocument(configuration: configuration))
        router.add(.get, "/peers/capabilities", maxBodyBytes: 0) { _, _ in capabilities }

        var jwks = HTTPResponse.json(JWKSet.document(keys: [identity.publicKey]))
        jwks.headers.add(name: "Cache-Control", value: "max-age=300")
        let keys = jwks
        router.add(.get, "/.well-known/jwks.json", maxBodyBytes: 0) { _, _ in keys }
        AuthRoutes.add(to: &router, auth: auth)
        let hub = peers ?? PeerHub(configuration: configuration, identity: identity, auth: auth)
        router.addUpgrade(peersPath, PeerUpgrader(hub: hub))
        router.addUpgrade(eventsPath, EventsUpgrader(hub: hub))
        router.add(.get, metricsPath, maxBodyBytes: 0) { _, _ in metricsResponse(hub) }
        MessageRoutes.add(to: &router, hub: hub)
        return router
    }

    /// `GET /metrics`: the Prometheus text exposition of the hub's metrics.
    static func metricsResponse(_ hub: PeerHub) -> HTTPResponse {
        let held = hub.heldCounts.values.reduce(0, +)
        let body = hub.metrics.exposition(heldMessages: held, peerSessions: hub.sessionCount)
        var response = HTTPResponse(status: .ok, body: body)
        response.headers.add(name: "Content-Type", value: PrometheusWriter.contentType)
        response.headers.add(name: "Cache-Control", value: "no-store")
        return response
    }

    /// The body of `GET /peers/capabilities` (contract: Discovery and capabilities).
    public static func capabilitiesDocument(configuration: ServerConfiguration) -> [UInt8] {
        let document: JSONValue = [
            "server_entity": .string(configuration.entityID),
            "protocol_versions": .array(protocolVersions.map { .string($0) }),
            "transports": ["websocket", "http"],
            "websocket": ["peers": .string(peersPath), "events": .string(eventsPath)],
            "max_message_bytes": .number(Double(configuration.maxMessageBytes)),
            "heartbeat_interval_s": .number(Double(configuration.heartbeatIntervalSeconds)),
            "auth": "ed25519-challenge+jwt",
        ]
        return JSONWriter.encode(document)
    }
}
