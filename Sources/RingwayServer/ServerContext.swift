import Logging
import RingwayHTTP
import RingwayTLS
import Synchronization

/// What every connection of one server shares: settings, routes, TLS context, counters.
final class ServerContext: Sendable {
    let router: Router
    let tls: TLSContext?
    let limits: HTTPParserLimits
    let requestTimeout: Duration
    let idleTimeout: Duration
    let writeTimeout: Duration
    let maxConnections: Int
    let logger: Logger
    let admission: Admission
    let metrics: ServerMetrics

    /// Connections being served now, over all acceptors.
    let openConnections = Atomic<Int>(0)
    private let connectionIDs = Atomic<UInt64>(0)

    init(
        configuration: ServerConfiguration, router: Router, tls: TLSContext?, logger: Logger, admission: Admission,
        metrics: ServerMetrics
    ) {
        self.admission = admission
        self.metrics = metrics
        self.router = router
        self.tls = tls
        self.limits = configuration.httpLimits
        self.requestTimeout = configuration.requestTimeout
        self.idleTimeout = configuration.idleTimeout
        self.writeTimeout = configuration.writeTimeout
        self.maxConnections = configuration.maxConnections
        self.logger = logger
    }

    /// A new connection id, unique within this server.
    func nextConnectionID() -> UInt64 {
        connectionIDs.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// The longest a connection's watchdog sleeps: every deadline is set at least this far ahead.
    var watchdogInterval: Duration {
        min(requestTimeout, idleTimeout, writeTimeout)
    }
}
