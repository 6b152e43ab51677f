import DequeModule
import RingwayCrypto
import RingwayEnvelope
import RingwayHTTP
import RingwayJSON
import RingwayRuntime
import RingwayTLS

/// A client of one Ringway server: authenticates, keeps a link up (WebSocket preferred, HTTP
/// fallback), sends messages and hands received ones to the application, once each.
///
/// The actor runs on one event loop. ``start()`` launches the link; ``send(to:payload:)``
/// returns the server's `ACK` status; ``messages`` yields what peers send, verified and
/// deduplicated, and acknowledges each one as the application takes it. Across reconnects and
/// transport switches every message not yet acknowledged by the server is sent again with the
/// same `message_id`, so nothing is lost; the receiving side drops redeliveries.
public actor RingwayClient {
    /// The loop the client runs on.
    public nonisolated let loop: EventLoop
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    /// What it was told.
    public nonisolated let configuration: RingwayClientConfiguration
    /// The server.
    public nonisolated let endpoint: ServerEndpoint
    /// Link state changes, for applications and logs (buffers the newest 64).
    public nonisolated let states: AsyncStream<ConnectionState>
    /// Later news about sent messages: `received` from recipients, `expired` from the server.
    public nonisolated let reports: AsyncStream<DeliveryReport>

    private let stateContinuation: AsyncStream<ConnectionState>.Continuation
    private let reportContinuation: AsyncStream<DeliveryReport>.Continuation
    private let tlsContext: TLSContext?
    private let inbox = MessageInbox()
    private let acks = AckQueue()
    private let work = WakeSignal()

    /// The current state.
    public private(set) var state: ConnectionState = .closed(reason: "not started")
    private var credentials: Credentials?
    private var token: ClientToken?
    private var capabilities: ServerCapabilities?
    private var serverKey: Ed25519PublicKey?
    private var peerKeys: [EntityID: Ed25519PublicKey] = [:]
    private var unknownSenders: [EntityID: ContinuousClock.Instant] = [:]
    private var seen: SeenMessages
    private var scratch: [UInt8] = []

    private struct Outgoing {
        var recipient: Recipient
        var payload: JSONObject
        var continuation: CheckedContinuation<AckStatus, any Error>?
        var sent = false
    }

    /// Messages not yet acknowledged by the server, in send order.
    private var outgoing: [WireUUID: Outgoing] = [:]
    private var order: Deque<WireUUID> = []
    /// Those not yet written on the current link.
    private var unsent: Deque<WireUUID> = []
    private var channel: WebSocketChannel?
    private var runTask: Task<Void, Never>?
    private var stopped = false
    private var websocketFailures = 0
    private var lastServerError: ErrorPayload?
    /// Heartbeats and the silence bound of the current WebSocket session.
    private var heartbeat = HeartbeatSchedule(interval: .seconds(30), missedHeartbeats: 2, now: .now)

    /// Creates a client on `loop`; nothing happens before ``start()``.
    public init(configuration: RingwayClientConfiguration, loop: EventLoop) throws(ClientError) {
        self.loop = loop
        self.configuration = configuration
        self.endpoint = try ServerEndpoint(url: configuration.server)
        self.tlsContext = endpoint.tls ? try configuration.tls.context() : nil
        self.seen = SeenMessages(capacity: max(1, configuration.dedupMemory))
        (states, stateContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(64))
        (reports, reportContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1_024))
    }

    /// Received messages; taking one acknowledges it. One reader at a time.
    public nonisolated var messages: ClientMessages {
        let acks = self.acks
        let work = self.work
        return ClientMessages(inbox: inbox) { message in
            acks.push(sender: message.sender, messageID: message.messageID)
            work.signal()
        }
    }

    /// Messages handed to the application's sequence but not yet taken.
    public nonisolated var bufferedMessageCount: Int { inbox.count }

    /// Starts keeping the link up (idempotent).
    public func start() {
        guard runTask == nil, !stopped else { return }
        runTask = Task(executorPreference: loop) { await self.run() }
    }

    /// Stops: closes the link, fails the sends still waiting with ``ClientError/stopped(_:)``
    /// and ends ``messages``, ``states`` and ``reports``.
    public func stop() async {
        guard !stopped else { return }
        stopped = true
        runTask?.cancel()
        await channel?.close(code: .normalClosure)
        channel = nil
        await runTask?.value
        finish(reason: nil)
    }

    /// Sends `payload` to `recipient` (an entity, or `*` for a broadcast) and returns the
    /// server's answer: `delivered` or `queued`. While the link is down the message waits in
    /// the outbox (bounded by `outboxLimit`).
    /// - Throws: ``ClientError/refused(code:message:)`` with the contract's error,
    ///   ``ClientError/outboxFull(limit:)``, ``ClientError/stopped(_:)``.
    public func send(to recipient: Recipient, payload: JSONObject) async throws -> AckStatus {
        if case .closed(let reason?) = state, stopped { throw ClientError.stopped(reason) }
        guard !stopped else { throw ClientError.stopped("the client was stopped") }
        guard outgoing.count < configuration.outboxLimit else { throw ClientError.outboxFull(limit: configuration.outboxLimit) }
        let id = WireUUID.v7(clock: SystemUnixClock())
        return try await withCheckedThrowingContinuation { continuation in
            outgoing[id] = Outgoing(recipient: recipient, payload: payload, continuation: continuation)
            order.append(id)
            unsent.append(id)
            work.signal()
        }
    }

    /// ``send(to:payload:)`` to one entity.
    public func send(to entity: EntityID, payload: JSONObject) async throws -> AckStatus {
        try await send(to: .entity(entity), payload: payload)
    }

    /// Messages sent and not yet acknowledged by the server, plus those waiting for the link.
    public var outboxCount: Int { outgoing.count }

    /// `GET /peers/discover`: the peers this entity may reach (authenticating first when needed).
    public func discover() async throws -> [DiscoveredPeer] {
        let http = try await HTTPClientConnection.open(endpoint, tls: tlsContext, on: loop)
        defer { Task(executorPreference: loop) { await http.close() } }
        let token = try await currentToken(over: http)
        let response = try await http.request(.get, "/peers/discover", headers: [("Authorization", "Bearer \(token.token)")])
        guard response.status == 200 else { throw response.error }
        guard let peers = (try? JSONReader.parse(response.body))?.objectValue?["peers"]?.arrayValue else {
            throw ClientError.protocolViolation("the discover answer has no peers")
        }
        return peers.compactMap { value -> DiscoveredPeer? in
            guard let object = value.objectValue, let name = object["entity_id"]?.stringValue, let entity = EntityID(name),
                  let text = object["pubkey"]?.stringValue, let key = try? Ed25519PublicKey(base64URL: text) else { return nil }
            remember(key, of: entity)
            return DiscoveredPeer(
                entityID: entity, publicKey: key, online: object["online"]?.boolValue ?? false,
                transport: object["transport"]?.stringValue.flatMap { LinkTransport(rawValue: $0) },
                lastSeen: object["last_seen"]?.safeIntegerValue)
        }
    }

    // MARK: The link

    private enum Next {
        case retry(after: Duration?)
        case reauthenticate
        case stop(String)
    }

    private func run() async {
        var attempt = 0
        var switchChannel: WebSocketChannel?
        while !stopped, !Task.isCancelled {
            setState(.connecting)
            let next: Next
            do {
                if let ready = switchChannel {
                    switchChannel = nil
                    try await runWebSocket(ready, attempt: &attempt)
                } else {
                    switchChannel = try await connectOnce(attempt: &attempt)
                    if switchChannel != nil { continue }
                }
                next = .retry(after: nil)
            } catch let error as ClientError {
                next = decide(error)
            } catch {
                next = .retry(after: nil)
            }
            if stopped || Task.isCancelled { break }
            switch next {
            case .stop(let reason):
                stopped = true
                finish(reason: reason)
                return
            case .reauthenticate:
                token = nil
                attempt += 1
                // The first renewal is immediate; repeated failures back off.
                if attempt > 1 { await pause(attempt: attempt - 1, floor: nil) }
            case .retry(let after):
                attempt += 1
                await pause(attempt: attempt, floor: after)
            }
        }
    }

    private func pause(attempt: Int, floor: Duration?) async {
        var delay = configuration.backoff.delay(attempt: attempt)
        if let floor, floor > delay { delay = floor }
        setState(.reconnecting(attempt: attempt, delay: delay))
        try? await loop.sleep(for: delay)
    }

    /// Capabilities, token, then the transport; returns a WebSocket channel, already READY,
    /// when an HTTP link found WebSocket working again.
    private func connectOnce(attempt: inout Int) async throws -> WebSocketChannel? {
        let http = try await HTTPClientConnection.open(endpoint, tls: tlsContext, on: loop)
        let capabilities: ServerCapabilities
        let token: ClientToken
        do {
            let capabilitiesResponse = try await http.request(.get, "/peers/capabilities")
            guard capabilitiesResponse.status == 200 else { throw capabilitiesResponse.error }
            capabilities = try ServerCapabilities(json: capabilitiesResponse.body)
            self.capabilities = capabilities
            if configuration.verifySignatures, serverKey == nil { serverKey = try? await fetchServerKey(over: http) }
            token = try await currentToken(over: http)
        } catch {
            await http.close()
            throw error
        }
        // Not kept for the session: an idle connection per client would double the server's
        // connections. Later HTTP requests open their own.
        await http.close()

        let useWebSocket: Bool
        switch configuration.transport {
        case .websocket:
            guard capabilities.offersWebSocket else { throw ClientError.stop("the server offers no WebSocket transport") }
            useWebSocket = true
        case .http:
            useWebSocket = false
        case .auto:
            useWebSocket = capabilities.offersWebSocket && websocketFailures < configuration.websocketFailuresBeforeHTTP
        }
        if useWebSocket {
            do {
                let channel = try await openWebSocket(token: token, capabilities: capabilities)
                websocketFailures = 0
                try await runWebSocket(channel, attempt: &attempt)
                return nil
            } catch let error as ClientError {
                if Self.isWebSocketFailure(error) { websocketFailures += 1 }
                throw error
            }
        }
        return try await runHTTP(token: token, capabilities: capabilities, attempt: &attempt)
    }

    /// Whether `error` says the WebSocket path itself is broken (while HTTP worked).
    private static func isWebSocketFailure(_ error: ClientError) -> Bool {
        switch error {
        case .httpError(let status, _, _, _): ![401, 403, 409, 429].contains(status)
        case .connectionFailed, .timedOut, .protocolViolation: true
        case .closed(let code, _): code == 1006 || code == 1002
        default: false
        }
    }

    private func decide(_ error: ClientError) -> Next {
        switch error {
        case .stopped(let reason):
            return .stop(reason)
        case .httpError(let status, let code, let message, let retryAfter):
            switch (status, code) {
            case (401, _): return .reauthenticate
            case (403, _), (409, _): return .stop("\(code?.rawValue ?? String(status)): \(message)")
            case (429, _): return .retry(after: retryAfter.map { .seconds($0) })
            default: return .retry(after: nil)
            }
        case .refused(let code, let message):
            switch code {
            case .tokenExpired, .authFailed: return .reauthenticate
            case .forbidden, .keyMismatch, .protocolVersion: return .stop("\(code.rawValue): \(message)")
            default: return .retry(after: nil)
            }
        case .closed(let code, let reason):
            if code == 1008, reason == "replaced" {
                return .stop("another connection of this entity replaced this one")
            }
            return .retry(after: nil)
        case .credentials(let text):
            return .stop("credentials: \(text)")
        default:
            return .retry(after: nil)
        }
    }

    private func currentToken(over http: HTTPClientConnection) async throws -> ClientToken {
        if let token, token.expiresAt - SystemUnixClock().unixSeconds() > 30 { return token }
        let credentials: Credentials
        do {
            credentials = try await configuration.credentials.credentials()
        } catch {
            throw ClientError.credentials("\(error)")
        }
        self.credentials = credentials
        let fresh = try await Authenticator.authenticate(credentials, over: http)
        token = fresh
        return fresh
    }

    private func fetchServerKey(over http: HTTPClientConnection) async throws -> Ed25519PublicKey? {
        let response = try await http.request(.get, "/.well-known/jwks.json")
        guard response.status == 200, let keys = (try? JSONReader.parse(response.body))?.objectValue?["keys"]?.arrayValue,
              let x = keys.first?.objectValue?["x"]?.stringValue else { return nil }
        return try? Ed25519PublicKey(base64URL: x)
    }

    /// Asks `/peers/discover?entity_id=` for `entity`'s key. Ringway answers with that entry
    /// alone; a server that ignores the filter sends the whole list, which is remembered too.
    private func lookUpKey(of entity: EntityID, over http: HTTPClientConnection, token: ClientToken) async throws {
        let response = try await http.request(
            .get, "/peers/discover?entity_id=\(entity.rawValue)", headers: [("Authorization", "Bearer \(token.token)")])
        guard response.status == 200, let peers = (try? JSONReader.parse(response.body))?.objectValue?["peers"]?.arrayValue else { return }
        for peer in peers {
            guard let object = peer.objectValue, let name = object["entity_id"]?.stringValue, let entity = EntityID(name),
                  let text = object["pubkey"]?.stringValue, let key = try? Ed25519PublicKey(base64URL: text) else { continue }
            remember(key, of: entity)
        }
    }

    /// Caches a peer's key; the cache is bounded (emptied when full, then filled again on demand).
    private func remember(_ key: Ed25519PublicKey, of entity: EntityID) {
        if peerKeys.count >= Self.peerKeyCacheLimit, peerKeys[entity] == nil { peerKeys.removeAll() }
        peerKeys[entity] = key
    }

    /// Most peer keys cached.
    static let peerKeyCacheLimit = 16_384

    /// The key of `sender`, looked up when it is unknown (at most once a second for the same
    /// unknown sender).
    private func key(of sender: EntityID) async -> Ed25519PublicKey? {
        if let key = peerKeys[sender] { return key }
        if let missed = unknownSenders[sender], ContinuousClock.now - missed < .seconds(1) { return nil }
        guard let token else { return nil }
        defer {
            if peerKeys[sender] == nil {
                if unknownSenders.count >= 1_024 { unknownSenders.removeAll() }
                unknownSenders[sender] = .now
            }
        }
        guard let http = try? await HTTPClientConnection.open(endpoint, tls: tlsContext, on: loop) else { return nil }
        try? await lookUpKey(of: sender, over: http, token: token)
        await http.close()
        return peerKeys[sender]
    }

    // MARK: WebSocket

    private func openWebSocket(token: ClientToken, capabilities: ServerCapabilities) async throws -> WebSocketChannel {
        guard let credentials, let path = capabilities.peersPath else { throw ClientError.stop("no credentials") }
        let channel = try await withDeadline(configuration.connectTimeout, "WebSocket upgrade") { () async throws -> WebSocketChannel in
            try await WebSocketChannel.open(
                self.endpoint, target: "\(path)?entity_id=\(credentials.entityID.rawValue)",
                headers: [("Authorization", "Bearer \(token.token)")], tls: self.tlsContext,
                maxMessageBytes: capabilities.maxMessageBytes, on: self.loop)
        }
        do {
            let hello = sign(.hello, to: nil, payload: HelloPayload(protocolVersions: ["1.2"]).json, id: WireUUID.v7(clock: SystemUnixClock()))
            try await channel.sendText(hello)
            try await withDeadline(configuration.connectTimeout, "READY") { () async throws in
                try await self.awaitReady(on: channel)
            }
        } catch {
            await channel.abort()
            throw error
        }
        return channel
    }

    private func awaitReady(on channel: WebSocketChannel) async throws {
        lastServerError = nil
        while true {
            switch await channel.next() {
            case .text(let bytes):
                guard let envelope = try? EnvelopeDecoder().decode(bytes) else { throw ClientError.protocolViolation("a bad envelope before READY") }
                switch envelope.type {
                case .ready:
                    try verifyServer(envelope)
                    return
                case .error:
                    let payload = try? ErrorPayload(json: envelope.payload)
                    lastServerError = payload
                default:
                    continue
                }
            case .binary:
                continue
            case .closed(let code, let reason):
                if let error = lastServerError { throw ClientError.refused(code: error.code, message: error.message) }
                throw ClientError.closed(code: code, reason: reason)
            }
        }
    }

    /// Serves a READY channel until it ends; the error says why it ended.
    private func runWebSocket(_ channel: WebSocketChannel, attempt: inout Int) async throws {
        self.channel = channel
        defer { self.channel = nil }
        attempt = 0
        rewind()
        setState(.ready(.websocket))
        lastServerError = nil
        let interval = Duration.seconds(max(1, capabilities?.heartbeatIntervalSeconds ?? 30))
        heartbeat = HeartbeatSchedule(
            interval: interval, missedHeartbeats: configuration.missedHeartbeats, now: .now,
            phase: interval * Double.random(in: 0..<0.25))
        let ending: ClientError = await withTaskGroup(of: Void.self) { group in
            group.addTask(executorPreference: self.loop) { await self.heartbeats(on: channel) }
            group.addTask(executorPreference: self.loop) { await self.pumpWebSocket(channel) }
            let ending = await self.readWebSocket(channel)
            group.cancelAll()
            return ending
        }
        await channel.abort()
        throw ending
    }

    private func readWebSocket(_ channel: WebSocketChannel) async -> ClientError {
        while true {
            let frame = await channel.next()
            heartbeat.received(at: .now)
            switch frame {
            case .text(let bytes):
                if let problem = await handleIncoming(bytes) { return problem }
            case .binary:
                continue
            case .closed(let code, let reason):
                if let error = lastServerError, [.tokenExpired, .forbidden, .protocolVersion, .rateLimited].contains(error.code) {
                    return .refused(code: error.code, message: error.message)
                }
                return .closed(code: code, reason: reason)
            }
        }
    }

    private func heartbeats(on channel: WebSocketChannel) async {
        while !Task.isCancelled {
            do {
                try await loop.sleep(until: heartbeat.nextCheck)
            } catch {
                return
            }
            switch heartbeat.tick(now: .now) {
            case .wait:
                continue
            case .giveUp:
                // Silent too long: the server or the path is gone; do not wait for TCP.
                await channel.abort()
                return
            case .sendHeartbeat:
                let bytes = sign(.heartbeat, to: capabilities.map { .entity($0.serverEntity) }, payload: JSONObject(),
                                 id: WireUUID.v7(clock: SystemUnixClock()))
                try? await channel.sendText(bytes)
            }
        }
    }

    private func pumpWebSocket(_ channel: WebSocketChannel) async {
        while !Task.isCancelled {
            if let (sender, id) = acks.pop() {
                let ack = sign(.ack, to: .entity(sender), payload: AckPayload(ackID: id, status: .received).json,
                               id: WireUUID.v7(clock: SystemUnixClock()))
                do {
                    try await channel.sendText(ack)
                    heartbeat.sent(at: .now)
                } catch {
                    // Not acknowledged: the server hands the message again after the reconnect.
                    return
                }
                continue
            }
            if let id = unsent.popFirst() {
                guard let message = outgoing[id] else { continue }
                let bytes = sign(.message, to: message.recipient, payload: message.payload, id: id)
                do {
                    try await channel.sendText(bytes)
                    heartbeat.sent(at: .now)
                    outgoing[id]?.sent = true
                } catch {
                    unsent.prepend(id)
                    return
                }
                continue
            }
            await work.wait()
        }
    }

    // MARK: HTTP

    private func runHTTP(token: ClientToken, capabilities: ServerCapabilities, attempt: inout Int) async throws -> WebSocketChannel? {
        attempt = 0
        rewind()
        setState(.ready(.http))
        let probe = configuration.transport == .auto && capabilities.offersWebSocket
        enum Ending: Sendable { case failed(ClientError), switched }
        var upgraded: WebSocketChannel?
        let ending: Ending = await withTaskGroup(of: Ending?.self) { group in
            group.addTask(executorPreference: self.loop) { await self.pollLoop(token: token).map { .failed($0) } }
            group.addTask(executorPreference: self.loop) { await self.pumpHTTP(token: token).map { .failed($0) } }
            if probe {
                group.addTask(executorPreference: self.loop) { await self.probeWebSocket(token: token, capabilities: capabilities) ? .switched : nil }
            }
            var ending: Ending = .failed(.closed(code: 1006, reason: "HTTP link ended"))
            while let next = await group.next() {
                if let next {
                    ending = next
                    break
                }
            }
            group.cancelAll()
            return ending
        }
        switch ending {
        case .failed(let error):
            throw error
        case .switched:
            upgraded = probedChannel
            probedChannel = nil
            websocketFailures = 0
            return upgraded
        }
    }

    private var probedChannel: WebSocketChannel?

    private func probeWebSocket(token: ClientToken, capabilities: ServerCapabilities) async -> Bool {
        while !Task.isCancelled {
            do {
                try await loop.sleep(for: configuration.websocketProbeInterval)
            } catch {
                return false
            }
            if let channel = try? await openWebSocket(token: token, capabilities: capabilities) {
                probedChannel = channel
                return true
            }
        }
        return false
    }

    private func pollLoop(token: ClientToken) async -> ClientError? {
        var connection: HTTPClientConnection?
        defer { if let connection { Task(executorPreference: loop) { await connection.close() } } }
        while !Task.isCancelled {
            do {
                if connection == nil || connection!.isClosed {
                    connection = try await HTTPClientConnection.open(endpoint, tls: tlsContext, on: loop)
                }
                let wait = max(0, min(30, configuration.pollWaitSeconds))
                let response = try await connection!.request(
                    .get, "/v1/messages?wait=\(wait)&limit=100", headers: [("Authorization", "Bearer \(token.token)")])
                guard response.status == 200 else { return response.error }
                guard let list = (try? JSONReader.parse(response.body))?.objectValue?["messages"]?.arrayValue else {
                    return .protocolViolation("a poll answer without messages")
                }
                for value in list {
                    if let problem = await handleIncoming(JSONWriter.encode(value)) { return problem }
                }
            } catch {
                return error
            }
        }
        return nil
    }

    private func pumpHTTP(token: ClientToken) async -> ClientError? {
        var connection: HTTPClientConnection?
        defer { if let connection { Task(executorPreference: loop) { await connection.close() } } }
        let authorization = [("Authorization", "Bearer \(token.token)")]
        while !Task.isCancelled {
            do {
                if let (sender, id) = acks.pop() {
                    if connection == nil || connection!.isClosed {
                        connection = try await HTTPClientConnection.open(endpoint, tls: tlsContext, on: loop)
                    }
                    let ack = sign(.ack, to: .entity(sender), payload: AckPayload(ackID: id, status: .received).json,
                                   id: WireUUID.v7(clock: SystemUnixClock()))
                    let response = try await connection!.request(.post, "/v1/messages", headers: authorization, body: ack)
                    if response.status == 401 { return response.error }
                    continue
                }
                if let id = unsent.first {
                    guard let message = outgoing[id] else {
                        unsent.removeFirst()
                        continue
                    }
                    if connection == nil || connection!.isClosed {
                        connection = try await HTTPClientConnection.open(endpoint, tls: tlsContext, on: loop)
                    }
                    let bytes = sign(.message, to: message.recipient, payload: message.payload, id: id)
                    let response = try await connection!.request(.post, "/v1/messages", headers: authorization, body: bytes)
                    unsent.removeFirst()
                    if response.status == 202 {
                        let status = (try? JSONReader.parse(response.body))?.objectValue?["status"]?.stringValue.flatMap { AckStatus(rawValue: $0) }
                        complete(id, with: .success(status ?? .queued))
                    } else if response.status == 401 {
                        unsent.prepend(id)
                        return response.error
                    } else if response.status == 429 || response.status >= 500 && response.error.wireCode == nil {
                        unsent.prepend(id)
                        return response.error
                    } else {
                        settleRefusal(id, error: response.error)
                    }
                    continue
                }
                await work.wait()
            } catch {
                return error
            }
        }
        return nil
    }

    // MARK: Incoming

    /// Handles one envelope from the server; a non-nil answer ends the link.
    private func handleIncoming(_ bytes: [UInt8]) async -> ClientError? {
        guard let envelope = try? EnvelopeDecoder().decode(bytes) else { return nil }
        if envelope.fromEntity == capabilities?.serverEntity {
            do {
                try verifyServer(envelope)
            } catch {
                return .protocolViolation("an envelope from the server with a bad signature")
            }
            switch envelope.type {
            case .ack:
                guard let ack = try? AckPayload(json: envelope.payload) else { return nil }
                switch ack.status {
                case .delivered, .queued:
                    complete(ack.ackID, with: .success(ack.status))
                case .expired:
                    reportContinuation.yield(DeliveryReport(messageID: ack.ackID, status: .expired, from: envelope.fromEntity))
                case .received:
                    break
                }
            case .error:
                guard let error = try? ErrorPayload(json: envelope.payload) else { return nil }
                if let ref = error.ref, outgoing[ref] != nil {
                    settleRefusal(ref, error: .refused(code: error.code, message: error.message))
                } else {
                    lastServerError = error
                }
            default:
                break
            }
            return nil
        }
        switch envelope.type {
        case .message:
            if configuration.verifySignatures {
                guard let key = await key(of: envelope.fromEntity),
                      (try? envelope.verifySignature(publicKey: key)) != nil else {
                    // Not acknowledged: it cannot be shown to come from its sender.
                    return nil
                }
            }
            if seen.insert(sender: envelope.fromEntity, messageID: envelope.messageID) {
                inbox.push(ReceivedMessage(envelope: envelope, bytes: bytes))
            } else {
                // A redelivery of one already handed out: acknowledge it again, hand nothing.
                acks.push(sender: envelope.fromEntity, messageID: envelope.messageID)
                work.signal()
            }
        case .ack:
            guard let ack = try? AckPayload(json: envelope.payload), ack.status == .received else { return nil }
            complete(ack.ackID, with: .success(.delivered))
            reportContinuation.yield(DeliveryReport(messageID: ack.ackID, status: .received, from: envelope.fromEntity))
        default:
            break
        }
        return nil
    }

    private func verifyServer(_ envelope: Envelope) throws {
        guard configuration.verifySignatures, let serverKey else { return }
        do {
            try envelope.verifySignature(publicKey: serverKey)
        } catch {
            throw ClientError.protocolViolation("the server's \(envelope.type.rawValue) has a bad signature")
        }
    }

    // MARK: Bookkeeping

    /// A refusal for message `id`: a resend the server had already accepted (`REPLAY` after a
    /// reconnect) counts as accepted; anything else fails the send.
    private func settleRefusal(_ id: WireUUID, error: ClientError) {
        if error.wireCode == .replay, outgoing[id]?.sent == true {
            complete(id, with: .success(.queued))
        } else {
            complete(id, with: .failure(error))
        }
    }

    private func complete(_ id: WireUUID, with result: Result<AckStatus, ClientError>) {
        guard let message = outgoing.removeValue(forKey: id) else { return }
        if let index = order.firstIndex(of: id) { order.remove(at: index) }
        message.continuation?.resume(with: result.mapError { $0 as any Error })
    }

    /// A new link: every message not acknowledged by the server is sent again, in order.
    private func rewind() {
        unsent = order
        work.signal()
    }

    private func sign(_ type: EnvelopeType, to recipient: Recipient?, payload: JSONObject, id: WireUUID) -> [UInt8] {
        guard let credentials else { return [] }
        let envelope = Envelope(
            messageID: id, type: type, fromEntity: credentials.entityID, toEntity: recipient,
            timestamp: SystemUnixClock().unixSeconds(), payload: payload)
        return envelope.signed(with: credentials.key, scratch: &scratch).encoded()
    }

    private func setState(_ new: ConnectionState) {
        guard new != state else { return }
        state = new
        stateContinuation.yield(new)
    }

    private func finish(reason: String?) {
        setState(.closed(reason: reason))
        let error = ClientError.stopped(reason ?? "the client was stopped")
        for id in order { outgoing[id]?.continuation?.resume(throwing: error) }
        outgoing.removeAll()
        order.removeAll()
        unsent.removeAll()
        inbox.finish()
        stateContinuation.finish()
        reportContinuation.finish()
    }

    /// Runs `body`, giving up after `limit`.
    private func withDeadline<T: Sendable>(
        _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask(executorPreference: self.loop) { try await body() }
            group.addTask(executorPreference: self.loop) {
                try await self.loop.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw ClientError.timedOut(what)
            }
            return value
        }
    }
}

/// Acknowledgements to send: pushed from the application's reader, taken by the link.
final class AckQueue: Sendable {
    private let queue = Locked(Deque<(EntityID, WireUUID)>())

    func push(sender: EntityID, messageID: WireUUID) {
        queue.withLock { $0.append((sender, messageID)) }
    }

    func pop() -> (EntityID, WireUUID)? {
        queue.withLock { $0.popFirst() }
    }
}

extension ClientError {
    /// A refusal the client must not retry.
    static func stop(_ reason: String) -> ClientError { .stopped(reason) }
}

