import Logging
import RingwayCrypto
import RingwayRuntime

/// The assembled daemon: node identity, TLS material, event loops and the HTTP server.
public final class RingwayNode: Sendable {
    /// The configuration it runs with.
    public let configuration: ServerConfiguration
    /// The node key.
    public let identity: NodeIdentity
    /// The TLS certificate in use; nil when TLS is off.
    public let tls: TLSMaterial?
    /// Authentication: challenges, tokens and pinned keys.
    public let auth: AuthService
    /// The `/ws/v1/peers` sessions and the messages held for offline entities.
    public let peers: PeerHub
    /// The allow-list and rate limits.
    public let admission: Admission
    /// The counters served at `/metrics`.
    public let metrics: ServerMetrics
    /// The address it listens on (with the port actually bound).
    public let localAddress: SocketAddress
    /// The event loops.
    public let group: EventLoopGroup
    /// The HTTP server.
    public let server: HTTPServer
    private let logger: Logger
    private let sweeper: Task<Void, Never>

    private init(
        configuration: ServerConfiguration, identity: NodeIdentity, tls: TLSMaterial?, auth: AuthService,
        peers: PeerHub, group: EventLoopGroup, server: HTTPServer, logger: Logger
    ) {
        self.peers = peers
        self.admission = peers.admission
        self.metrics = peers.metrics
        self.configuration = configuration
        self.identity = identity
        self.tls = tls
        self.auth = auth
        self.localAddress = server.localAddress
        self.group = group
        self.server = server
        self.logger = logger
        // About once a second: held messages past their age, lapsed HTTP fallbacks.
        let loop = group.loops[0]
        let maxAge = Int64(configuration.queueMaxAgeSeconds) * 1_000
        self.sweeper = Task(executorPreference: loop) {
            while true {
                do {
                    try await loop.sleep(for: .seconds(1))
                } catch {
                    return
                }
                await peers.sweep(maxAgeMilliseconds: maxAge)
            }
        }
    }

    /// The base URL clients use, such as `https://127.0.0.1:8443`.
    public var url: String {
        (tls != nil ? "https://" : "http://") + localAddress.description
    }

    /// Loads or creates the node key and the TLS certificate, starts the loops and listens.
    /// - Parameters:
    ///   - authLimits: limits on outstanding challenges and pins.
    ///   - peerSettings: session settings; nil derives them from `configuration`.
    ///   - routes: adds routes to the daemon's table (tests).
    /// - Throws: ``StartupError`` with one line for the operator.
    public static func start(
        configuration: ServerConfiguration, logger: Logger, clock: any UnixClock = SystemUnixClock(),
        authLimits: AuthLimits = AuthLimits(), peerSettings: PeerSessionSettings? = nil,
        routes: (inout Router) -> Void = { _ in }
    ) async throws(StartupError) -> RingwayNode {
        let identity = try NodeIdentity.loadOrCreate(dataDirectory: configuration.dataDirectory)
        logger.info(identity.created ? "created the node key" : "loaded the node key", metadata: [
            "path": "\(identity.path)",
            "public_key": "\(identity.publicKey.base64URL)",
            "kid": "\(identity.publicKey.jwkThumbprint)",
        ])

        var tls: TLSMaterial?
        if configuration.tls {
            let material = try TLSMaterial.prepare(configuration: configuration, now: clock.unixSeconds())
            let message: Logger.Message = material.generated
                ? "created a self-signed TLS certificate"
                : (material.selfSigned ? "using the self-signed TLS certificate" : "using the configured TLS certificate")
            logger.info(message, metadata: [
                "certificate": "\(material.certificatePath)",
                "sha256_fingerprint": "\(material.fingerprint)",
            ])
            tls = material
        } else {
            logger.warning("TLS is off: serving plain HTTP and ws://; use this only on loopback or a trusted network")
        }

        let group: EventLoopGroup
        do {
            group = try EventLoopGroup(loopCount: configuration.effectiveLoopCount)
        } catch {
            throw StartupError("cannot start the event loops: \(error)")
        }
        let admission: Admission
        do {
            admission = try Admission(configuration: configuration)
        } catch {
            await group.shutdown()
            throw error
        }
        let auth = try AuthService.load(
            configuration: configuration, identity: identity, limits: authLimits, clock: clock, admission: admission)
        logger.info(auth.pinning == .keysFile ? "loaded the keys file" : "trusting keys on first use", metadata: [
            "path": "\(configuration.keysFile ?? auth.pinnedKeysPath ?? "")",
            "pinned_keys": "\(auth.pinnedKeys.count)",
        ])
        let peers = PeerHub(
            configuration: configuration, identity: identity, auth: auth, settings: peerSettings, admission: admission,
            metrics: ServerMetrics())
        var router = DaemonRoutes.router(configuration: configuration, identity: identity, auth: auth, peers: peers)
        routes(&router)
        let server: HTTPServer
        do {
            server = try await HTTPServer.start(
                group: group, configuration: configuration, router: router, tls: tls?.context, logger: logger,
                admission: admission, metrics: peers.metrics)
        } catch {
            await group.shutdown()
            throw StartupError("cannot listen on \(configuration.listen): \(error)")
        }
        let node = RingwayNode(
            configuration: configuration, identity: identity, tls: tls, auth: auth, peers: peers, group: group, server: server,
            logger: logger)
        logger.info("listening", metadata: [
            "url": "\(node.url)",
            "entity_id": "\(configuration.entityID)",
            "loops": "\(group.loops.count)",
        ])
        return node
    }

    /// Connections being served now.
    public var connectionCount: Int { server.connectionCount }

    /// Stops accepting, sends BYE and close 1001 to every peer session (spread over the
    /// drain period) and close 1001 to every events subscriber, lets open exchanges finish
    /// within the configured grace period, closes the rest and stops the loops.
    public func shutdown() async {
        logger.info("stopping", metadata: ["connections": "\(server.connectionCount)", "peer_sessions": "\(peers.sessionCount)"])
        await server.beginShutdown()
        sweeper.cancel()
        // Cut to the grace period: the closes are spread out and still done before it ends.
        await peers.shutdown(spreadOver: min(configuration.shutdownDrainPeriod, configuration.shutdownGracePeriod))
        await peers.events.shutdown()
        let held = peers.heldCounts
        if !held.isEmpty {
            // Held in memory only: they are lost with the process (their senders got `queued`).
            logger.warning("messages still held, not confirmed by their recipients, are dropped", metadata: [
                "held": "\(held.values.reduce(0, +))", "recipients": "\(held.count)",
            ])
        }
        await server.shutdown(gracePeriod: configuration.shutdownGracePeriod)
        await group.shutdown()
        logger.info("stopped")
    }
}
