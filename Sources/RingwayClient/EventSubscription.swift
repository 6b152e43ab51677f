import RingwayEnvelope
import RingwayRuntime
import RingwayTLS

/// One subscription to the server's `/ws/v1/events` stream: broadcasts (MESSAGE to `*`) from
/// peers, unchanged, and the server's signed peer online/offline events.
///
/// ``open(configuration:loop:)`` authenticates, upgrades and returns once the server has
/// registered the subscriber, so a broadcast sent after it returns reaches it. Read with
/// ``next()`` continuously: reading also answers the server's pings, and a subscriber that stays
/// silent for three heartbeat intervals is closed by the server. There is no reconnection: when
/// the stream ends, ``next()`` answers nil and ``closeReason`` says why.
public actor EventSubscription {
    /// The loop the subscription runs on.
    public nonisolated let loop: EventLoop
    /// The loop, as the actor's executor.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    /// The subscribing entity.
    public nonisolated let entityID: EntityID

    private let channel: WebSocketChannel
    /// Envelopes that arrived while subscribing, handed out first.
    private var early: ArraySlice<[UInt8]>
    /// Why the stream ended; nil while it is open.
    public private(set) var closeReason: ClientError?

    private init(loop: EventLoop, entityID: EntityID, channel: WebSocketChannel, early: [[UInt8]]) {
        self.loop = loop
        self.entityID = entityID
        self.channel = channel
        self.early = early[...]
    }

    /// Subscribes as the entity of `configuration.credentials` (its server, TLS trust and
    /// `connectTimeout` are used; the other settings concern ``RingwayClient`` only).
    /// - Throws: ``ClientError`` when the server cannot be reached, refuses the credentials or
    ///   the upgrade, offers no events stream, or does not answer within `connectTimeout`.
    public static func open(configuration: RingwayClientConfiguration, loop: EventLoop) async throws(ClientError) -> EventSubscription {
        let endpoint = try ServerEndpoint(url: configuration.server)
        let tls = endpoint.tls ? try configuration.tls.context() : nil
        let credentials: Credentials
        do {
            credentials = try await configuration.credentials.credentials()
        } catch {
            throw .credentials("\(error)")
        }
        let opener = Opener(loop: loop)
        let result = await opener.open(endpoint: endpoint, tls: tls, credentials: credentials, timeout: configuration.connectTimeout)
        switch result {
        case .success(let opened):
            return EventSubscription(loop: loop, entityID: credentials.entityID, channel: opened.channel, early: opened.early)
        case .failure(let error):
            throw error
        }
    }

    /// The next envelope on the stream (its bytes as the server sent them), or nil once the
    /// stream ended.
    public func next() async -> [UInt8]? {
        if let first = early.popFirst() { return first }
        guard closeReason == nil else { return nil }
        while true {
            switch await channel.next() {
            case .text(let bytes):
                return bytes
            case .binary:
                continue
            case .closed(let code, let reason):
                closeReason = .closed(code: code, reason: reason)
                return nil
            }
        }
    }

    /// Closes the subscription (normal closure).
    public func close() async {
        if closeReason == nil { closeReason = .stopped("the subscription was closed") }
        await channel.close(code: .normalClosure)
    }

    /// A registered subscription and what arrived on it before the server's pong.
    private struct Opened: Sendable {
        let channel: WebSocketChannel
        let early: [[UInt8]]
    }

    /// The steps before the subscription exists, on the subscription's loop.
    private actor Opener {
        nonisolated let loop: EventLoop
        nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

        init(loop: EventLoop) {
            self.loop = loop
        }

        func open(
            endpoint: ServerEndpoint, tls: TLSContext?, credentials: Credentials, timeout: Duration
        ) async -> Result<Opened, ClientError> {
            let outcome: Result<Opened, ClientError>? = await withTaskGroup(of: Result<Opened, ClientError>?.self) { group in
                group.addTask(executorPreference: self.loop) { await self.steps(endpoint: endpoint, tls: tls, credentials: credentials) }
                group.addTask(executorPreference: self.loop) {
                    do {
                        try await self.loop.sleep(for: timeout)
                    } catch {
                        return nil
                    }
                    return .failure(.timedOut("subscribing to the events stream"))
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                // A subscription opened just as the deadline passed is closed, not leaked.
                while let late = await group.next() {
                    if case .success(let opened)? = late { await opened.channel.abort() }
                }
                return first
            }
            return outcome ?? .failure(.timedOut("subscribing to the events stream"))
        }

        private func steps(endpoint: ServerEndpoint, tls: TLSContext?, credentials: Credentials) async -> Result<Opened, ClientError> {
            do {
                let http = try await HTTPClientConnection.open(endpoint, tls: tls, on: loop)
                let capabilities: ServerCapabilities
                let token: ClientToken
                do {
                    let response = try await http.request(.get, "/peers/capabilities")
                    guard response.status == 200 else { throw response.error }
                    capabilities = try ServerCapabilities(json: response.body)
                    token = try await Authenticator.authenticate(credentials, over: http)
                } catch {
                    await http.close()
                    throw error
                }
                await http.close()
                guard let path = capabilities.eventsPath else { throw ClientError.stopped("the server offers no events stream") }
                let channel = try await WebSocketChannel.open(
                    endpoint, target: "\(path)?entity_id=\(credentials.entityID.rawValue)",
                    headers: [("Authorization", "Bearer \(token.token)")], tls: tls,
                    maxMessageBytes: capabilities.maxMessageBytes, on: loop)
                // The server answers the ping once the subscriber is registered: from then on,
                // every broadcast reaches it.
                var early: [[UInt8]] = []
                do {
                    try await channel.sendPing()
                    while let frame = await channel.nextOrPong() {
                        switch frame {
                        case .text(let bytes): early.append(bytes)
                        case .binary: continue
                        case .closed(let code, let reason): throw ClientError.closed(code: code, reason: reason)
                        }
                    }
                } catch {
                    await channel.abort()
                    throw error
                }
                return .success(Opened(channel: channel, early: early))
            } catch let error as ClientError {
                return .failure(error)
            } catch {
                return .failure(.protocolViolation("\(error)"))
            }
        }
    }
}
