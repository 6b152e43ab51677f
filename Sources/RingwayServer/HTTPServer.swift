import Logging
import RingwayRuntime
import RingwayTLS

/// An HTTP/1.1 server (HTTPS when given a TLS context) on an event-loop group.
///
/// Each connection is an actor on the loop that accepted it, so its socket, TLS, parsing and
/// route handlers all run on one thread. One listener on the group's first loop accepts, and
/// hands each connection to the loops in turn, so connections spread over every core while the
/// port stays exclusive (no `SO_REUSEPORT` sharing with other processes or servers).
public final class HTTPServer: Sendable {
    /// The address the server listens on (with the port actually bound).
    public let localAddress: SocketAddress
    private let acceptor: ConnectionAcceptor
    private let running: Task<Void, Never>
    private let context: ServerContext

    private init(localAddress: SocketAddress, acceptor: ConnectionAcceptor, running: Task<Void, Never>, context: ServerContext) {
        self.localAddress = localAddress
        self.acceptor = acceptor
        self.running = running
        self.context = context
    }

    /// Binds `configuration.listen` and starts accepting.
    /// - Parameters:
    ///   - tls: the server TLS context; nil serves plain HTTP.
    ///   - admission: the per-address connection limit.
    ///   - metrics: where connections are counted.
    /// - Throws: the runtime's error when the address cannot be bound (`IOError` `EADDRINUSE`...).
    public static func start(
        group: EventLoopGroup, configuration: ServerConfiguration, router: Router, tls: TLSContext?, logger: Logger,
        admission: Admission = Admission(), metrics: ServerMetrics = ServerMetrics()
    ) async throws -> HTTPServer {
        let context = ServerContext(
            configuration: configuration, router: router, tls: tls, logger: logger, admission: admission, metrics: metrics)
        let acceptor = ConnectionAcceptor(loop: group.loops[0], serving: group.loops, server: context)
        let address = try await acceptor.bind(configuration.listen)
        let running = Task(executorPreference: acceptor.loop) { await acceptor.run() }
        return HTTPServer(localAddress: address, acceptor: acceptor, running: running, context: context)
    }

    /// Connections being served now.
    public var connectionCount: Int {
        context.openConnections.load(ordering: .relaxed)
    }

    /// Stops accepting and tells every connection to close after the exchange in progress
    /// (idle ones close at once). Returns once every connection has been told.
    public func beginShutdown() async {
        await acceptor.stopAccepting()
        await acceptor.drain()
    }

    /// ``beginShutdown()``, then waits for the connections to finish and closes what is still
    /// open after `gracePeriod`. Returns when every connection is closed.
    public func shutdown(gracePeriod: Duration) async {
        let acceptor = self.acceptor
        let running = self.running
        let context = self.context
        await beginShutdown()
        let loop = acceptor.loop
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await running.value
                return true
            }
            group.addTask(executorPreference: loop) {
                do {
                    try await loop.sleep(for: gracePeriod)
                    return false
                } catch {
                    return true
                }
            }
            if await group.next() == false {
                context.logger.info("closing the connections still open after the grace period")
                // Closing first, from this task, releases every socket; cancelling then ends
                // route handlers that are still waiting.
                await acceptor.closeAll()
                running.cancel()
            }
            group.cancelAll()
        }
    }
}
