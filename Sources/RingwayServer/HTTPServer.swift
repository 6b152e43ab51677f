import Logging
import RingwayRuntime
import RingwayTLS

/// An HTTP/1.1 server (HTTPS when given a TLS context) on an event-loop group.
///
/// Each connection is an actor on the loop that accepted it, so its socket, TLS, parsing and
/// route handlers all run on one thread. Every loop of the group has its own listener on the same
/// port (`SO_REUSEPORT`), so the kernel spreads connections over the loops and a connection's
/// work never crosses threads.
public final class HTTPServer: Sendable {
    /// The address the server listens on (with the port actually bound).
    public let localAddress: SocketAddress
    private let acceptors: [ConnectionAcceptor]
    private let running: [Task<Void, Never>]
    private let context: ServerContext

    private init(localAddress: SocketAddress, acceptors: [ConnectionAcceptor], running: [Task<Void, Never>], context: ServerContext) {
        self.localAddress = localAddress
        self.acceptors = acceptors
        self.running = running
        self.context = context
    }

    /// Binds `configuration.listen` on every loop and starts accepting.
    /// - Parameters:
    ///   - tls: the server TLS context; nil serves plain HTTP.
    /// - Throws: the runtime's error when the address cannot be bound (`IOError` `EADDRINUSE`...).
    public static func start(
        group: EventLoopGroup, configuration: ServerConfiguration, router: Router, tls: TLSContext?, logger: Logger
    ) async throws -> HTTPServer {
        let context = ServerContext(configuration: configuration, router: router, tls: tls, logger: logger)
        let acceptors = group.loops.map { ConnectionAcceptor(loop: $0, server: context) }
        var address = configuration.listen
        try TCPListener.checkAvailable(address)
        do {
            for acceptor in acceptors {
                // The first bind may pick the port (port 0); the others join it.
                address = try await acceptor.bind(address, reusePort: true)
            }
        } catch {
            for acceptor in acceptors { await acceptor.stopAccepting() }
            throw error
        }
        let running = acceptors.map { acceptor in Task(executorPreference: acceptor.loop) { await acceptor.run() } }
        return HTTPServer(localAddress: address, acceptors: acceptors, running: running, context: context)
    }

    /// Connections being served now.
    public var connectionCount: Int {
        context.openConnections.load(ordering: .relaxed)
    }

    /// Stops accepting and tells every connection to close after the exchange in progress
    /// (idle ones close at once). Returns once every connection has been told.
    public func beginShutdown() async {
        for acceptor in acceptors { await acceptor.stopAccepting() }
        for acceptor in acceptors { await acceptor.drain() }
    }

    /// ``beginShutdown()``, then waits for the connections to finish and closes what is still
    /// open after `gracePeriod`. Returns when every connection is closed.
    public func shutdown(gracePeriod: Duration) async {
        let acceptors = self.acceptors
        let running = self.running
        let context = self.context
        await beginShutdown()
        let loop = acceptors[0].loop
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for task in running { await task.value }
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
                for acceptor in acceptors { await acceptor.closeAll() }
                for task in running { task.cancel() }
            }
            group.cancelAll()
        }
    }
}
