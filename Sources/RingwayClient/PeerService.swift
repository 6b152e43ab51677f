import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import RingwayRuntime

/// Links to several servers at once (one ``RingwayClient`` each, each with its own reconnect and
/// fallback policy), behind one send/receive surface keyed by entity.
///
/// A message for an entity goes through the link it was routed to with ``route(_:via:)``, else
/// through the first link (in the order added) whose server lists the entity in
/// `/peers/discover`; the answer is cached. Received messages from every link arrive on
/// ``messages``, each tagged with its link.
public actor PeerService {
    /// A received message and the link it came through.
    public struct Delivery: Sendable {
        /// The link's name.
        public var link: String
        /// The message.
        public var message: ReceivedMessage
    }

    public nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    /// Messages from every link, in arrival order per link.
    public nonisolated let messages: AsyncStream<Delivery>

    private let continuation: AsyncStream<Delivery>.Continuation
    private var links: [(name: String, client: RingwayClient)] = []
    private var routes: [EntityID: String] = [:]
    private var readers: [Task<Void, Never>] = []

    /// A service with no links yet, on `loop`.
    public init(loop: EventLoop) {
        self.loop = loop
        (messages, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Adds and starts a link named `name`.
    /// - Throws: ``ClientError/invalidURL(_:)`` for a bad server URL; a name used twice is refused.
    public func addLink(_ name: String, configuration: RingwayClientConfiguration) async throws {
        guard !links.contains(where: { $0.name == name }) else { throw ClientError.invalidURL("a link named \(name) exists already") }
        let client = try RingwayClient(configuration: configuration, loop: loop)
        links.append((name, client))
        let continuation = self.continuation
        readers.append(Task(executorPreference: loop) {
            for await message in client.messages {
                continuation.yield(Delivery(link: name, message: message))
            }
        })
        await client.start()
    }

    /// The client of link `name`.
    public func client(_ name: String) -> RingwayClient? {
        links.first { $0.name == name }?.client
    }

    /// Sends to `entity` through the link `name` from now on.
    public func route(_ entity: EntityID, via name: String) {
        routes[entity] = name
    }

    /// Sends `payload` to `entity` through its link and returns the server's answer.
    /// - Throws: ``ClientError/refused(code:message:)`` with `UNKNOWN_RECIPIENT` when no link's
    ///   server knows the entity, and whatever the link's send throws.
    public func send(to entity: EntityID, payload: JSONObject) async throws -> AckStatus {
        try await link(for: entity).send(to: entity, payload: payload)
    }

    /// Stops every link and ends ``messages``.
    public func stop() async {
        for (_, client) in links { await client.stop() }
        for reader in readers { await reader.value }
        continuation.finish()
    }

    private func link(for entity: EntityID) async throws -> RingwayClient {
        if let name = routes[entity], let client = client(name) { return client }
        for (name, client) in links {
            guard let peers = try? await client.discover() else { continue }
            if peers.contains(where: { $0.entityID == entity }) {
                routes[entity] = name
                return client
            }
        }
        throw ClientError.refused(code: .unknownRecipient, message: "no link's server knows \(entity.rawValue)")
    }
}
