import Logging
import RingwayCrypto
import RingwayEnvelope
import RingwayRuntime
import RingwayWebSocket

/// An upgraded stream handed from the connection to the session actor. The connection waits in
/// `UpgradedSession.run` while the session uses it.
// Safe: only used by the connection and the session actor, both pinned to the stream's loop thread.
final class LoopConfinedStream: @unchecked Sendable {
    let stream: UpgradedStream
    init(_ stream: UpgradedStream) { self.stream = stream }
}

/// An actor on a loop that owns an upgraded WebSocket stream (a peer session, an events subscriber).
protocol UpgradedStreamOwner: Actor {
    nonisolated var loop: EventLoop { get }
    var io: LoopConfinedStream { get }
}

extension UpgradedStreamOwner {
    /// Closes the stream after flushing what is queued, without waiting for a client that does
    /// not read: past ``PeerSession/closeFlushLimit`` unsent bytes, or after
    /// ``PeerSession/closeFlushTimeout``, it closes at once.
    func flushAndCloseStream() async {
        let buffered = io.stream.bufferedWriteBytes
        if buffered > 0, buffered <= PeerSession.closeFlushLimit {
            // Bounded: a client that stopped reading must not hold the actor (or a shutdown).
            await withTaskGroup(of: Void.self) { group in
                group.addTask(executorPreference: self.loop) {
                    do {
                        try await self.loop.sleep(for: PeerSession.closeFlushTimeout)
                    } catch {
                        return
                    }
                    await self.closeStream()
                }
                try? await self.io.stream.flush()
                group.cancelAll()
            }
        }
        await closeStream()
    }

    /// Closes the stream now.
    func closeStream() async {
        await io.stream.close()
    }
}

/// The I/O of one `/ws/v1/peers` session: WebSocket frames in and out, timers, routing through
/// the hub. The protocol decisions are ``PeerSessionStateMachine``'s.
///
/// The actor is pinned to the connection's loop. Other sessions deliver to it by a hop to this
/// actor; a delivery never waits for the client: when the client leaves more than the socket's
/// write limit unread, the session is closed (1008) and the envelope goes back to the queue.
actor PeerSession: UpgradedStreamOwner {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    nonisolated let entityID: EntityID
    /// Distinguishes this session from every other session and poll of the hub.
    nonisolated let generation: UInt64

    /// Past this many unsent bytes a closing session does not wait to flush its close frame.
    static let closeFlushLimit = 256 << 10
    /// Longest a closing session waits for its last frames to reach the kernel.
    static let closeFlushTimeout = Duration.seconds(2)
    /// Refusals for rate in a row after which the session is closed (1008): the client is not
    /// slowing down.
    static let rateLimitStrikes = 64

    let io: LoopConfinedStream
    private let hub: PeerHub
    private var machine: PeerSessionStateMachine
    private var websocket: WebSocketConnection
    private let logger: Logger
    private var frame: [UInt8] = []
    private var closed = false
    /// The closing a timeout started (see ``checkTimeouts(now:)``).
    private var timeoutClosing: Task<Void, Never>?
    private var rateLimitedInARow = 0
    private var registered = false

    init(stream: LoopConfinedStream, entity: AuthenticatedEntity, hub: PeerHub, logger: Logger) {
        self.loop = stream.stream.loop
        self.entityID = entity.entityID
        self.generation = hub.nextGeneration()
        self.io = stream
        self.hub = hub
        let settings = hub.settings
        let sessionID = hub.nextSessionID()
        self.machine = PeerSessionStateMachine(
            entityID: entity.entityID, entityKey: entity.publicKey, tokenExpiresAt: entity.expiresAt,
            serverEntityID: hub.serverEntityID, serverKey: hub.serverKey, sessionID: sessionID, settings: settings,
            now: hub.now, replay: hub.takeReplayMemory(for: entity.entityID))
        // What is buffered is at most a partial message (and its reassembly) plus one read,
        // which the runtime bounds (`maxPendingReadBytes`; TLS hands out smaller chunks).
        let oneRead = max(stream.stream.loop.configuration.maxPendingReadBytes, ConnectionStream.maxReadChunk)
        self.websocket = WebSocketConnection(role: .server, configuration: WebSocketConfiguration(
            maxFrameSize: settings.maxMessageBytes, maxMessageSize: settings.maxMessageBytes,
            maxBufferedBytes: 2 * (settings.maxMessageBytes + 16) + 2 * oneRead))
        var logger = logger
        logger[metadataKey: "entity_id"] = "\(entity.entityID.rawValue)"
        logger[metadataKey: "session_id"] = "\(sessionID)"
        self.logger = logger
    }

    /// Serves the session until it ends.
    func run() async {
        guard hub.opened(self) else {
            await goAway()
            hub.ended(self, replay: nil)
            return
        }
        logger.debug("peer session opened")
        hub.timeouts.add(self)
        await readLoop()
        hub.timeouts.remove(self)
        // A timeout that is closing the session finishes before the session counts as ended.
        await timeoutClosing?.value
        if registered { hub.metrics.sessionClosed(.peers) }
        hub.ended(self, replay: machine.replay)
        if !closed {
            closed = true
            await io.stream.close()
        }
        logger.debug("peer session closed")
    }

    // MARK: Called by other sessions and the hub

    /// Writes a routed envelope or a server notice; false when the session can no longer take it.
    func deliver(_ bytes: [UInt8]) async -> Bool {
        guard !closed, machine.phase == .ready else { return false }
        return await write(bytes)
    }

    /// A newer session of the same entity took over: close 1008 "replaced". Returns the replay
    /// memory, which the new session keeps.
    func replace() async -> ReplayGuard {
        await finish(nil, code: .policyViolation, reason: "replaced")
        return machine.replay
    }

    /// Server shutdown: BYE, then close 1001.
    func goAway() async {
        guard !closed else { return }
        let bye = machine.bye(now: hub.now)
        await finish(bye, code: .goingAway, reason: "server shutting down")
    }

    // MARK: Reading

    private func readLoop() async {
        do {
            while !closed {
                // A fresh array each time, handed over whole: an idle session holds no buffer.
                var buffer: [UInt8] = []
                let count = try await io.stream.read(into: &buffer)
                if closed { return }
                if count == 0 { websocket.feedEOF() } else { websocket.feed(consume buffer) }
                await processEvents()
            }
        } catch {
            logger.trace("peer session ended", metadata: ["error": "\(error)"])
        }
    }

    private func processEvents() async {
        while !closed {
            let event = websocket.next()
            switch event {
            case .text(let message):
                let action = message.withUnsafeBytes { machine.receivedText($0, now: hub.now) }
                await perform(action, original: message)
            case .binary:
                await perform(machine.receivedBinary(now: hub.now), original: [])
            case .ping, .pong:
                machine.noteActivity(now: hub.now)
                await sendAutomaticReplies()
            case .close, .protocolError, .finished:
                // The echo of the client's close, or the close for its protocol error, is queued.
                await sendAutomaticReplies()
                await finishNow()
                return
            case .needMoreData:
                await sendAutomaticReplies()
                return
            }
        }
    }

    private func perform(_ action: PeerSessionStateMachine.Action, original: ArraySlice<UInt8>) async {
        switch action {
        case .none:
            return
        case .send(let bytes):
            _ = await write(bytes)
        case .close(let bytes, let code, let reason):
            await finish(bytes, code: code, reason: reason)
        case .ready(let bytes):
            guard await write(bytes) else { return }
            await becomeReady()
        case .routeMessage(let recipient, let messageID):
            let received = ContinuousClock.now
            let now = hub.now
            if let refusal = hub.admission.admitMessage(from: entityID, to: recipient, byteCount: original.count, now: now) {
                await refuse(refusal.code, refusal.message, ref: messageID)
                return
            }
            rateLimitedInARow = 0
            let answer: [UInt8]
            switch recipient {
            case .broadcast:
                _ = await hub.events.broadcast(Array(original), from: entityID)
                answer = machine.ack(messageID, status: .delivered, now: hub.now)
                hub.metrics.messageRouted(.broadcast, bytes: original.count, nanoseconds: received.elapsedNanoseconds)
            case .entity(let recipient):
                switch await hub.route(Array(original), to: recipient, sender: entityID, messageID: messageID) {
                case .delivered:
                    answer = machine.ack(messageID, status: .delivered, now: hub.now)
                    hub.metrics.messageRouted(.delivered, bytes: original.count, nanoseconds: received.elapsedNanoseconds)
                case .queued:
                    answer = machine.ack(messageID, status: .queued, now: hub.now)
                    hub.metrics.messageRouted(.queued, bytes: original.count, nanoseconds: received.elapsedNanoseconds)
                case .queueFull:
                    await refuse(.queueFull, "the recipient's queue is full", ref: messageID)
                    return
                case .unknownRecipient:
                    await refuse(.unknownRecipient, "unknown recipient", ref: messageID)
                    return
                }
            }
            _ = await write(answer)
        case .routeAck(let sender, let messageID, let ref):
            // The server never answers an ACK with an ACK; only a refusal is reported.
            let found = await hub.acknowledge(by: entityID, sender: sender, messageID: messageID, ackBytes: Array(original))
            if !found {
                await refuse(.malformed, "ack_id names no message held for you from to_entity (never delivered, or acknowledged already)", ref: ref)
            }
        }
    }

    /// Writes an ERROR that keeps the session open; repeated rate refusals close it (1008).
    private func refuse(_ code: WireErrorCode, _ message: String, ref: WireUUID?) async {
        hub.metrics.refused(code)
        let bytes = machine.error(code, message, ref: ref, now: hub.now)
        if code == .rateLimited {
            rateLimitedInARow += 1
            if rateLimitedInARow >= Self.rateLimitStrikes {
                logger.info("closing a peer session that keeps exceeding its rate limit")
                await finish(bytes, code: .policyViolation, reason: "rate limit")
                return
            }
        }
        _ = await write(bytes)
    }

    /// After READY: registers with the hub (closing the session it replaces), then delivers what
    /// was held for the entity.
    private func becomeReady() async {
        guard let registration = hub.register(self) else {
            await goAway()
            return
        }
        registered = true
        hub.metrics.sessionOpened(.peers)
        logger.debug("peer session ready", metadata: ["held": "\(registration.messages.count)"])
        if let replaced = registration.replaced, replaced !== self {
            let memory = await replaced.replace()
            machine.absorbReplayMemory(memory, now: hub.now)
        }
        for (index, notice) in registration.notices.enumerated() where !(await deliver(notice)) {
            hub.restoreNotices(Array(registration.notices[index...]), for: entityID)
            return
        }
        // Held messages stay held until acknowledged: one this session cannot take waits for the next.
        for message in registration.messages where !(await deliver(message)) {
            return
        }
    }

    // MARK: Timers

    /// Called by the loop's sweep (``SessionTimeouts``) with the hub's time: applies the
    /// timeouts, and a session past one starts closing.
    func checkTimeouts(now: Int64) {
        guard !closed, timeoutClosing == nil, let deadline = machine.nextDeadline, deadline <= now,
              case .close(let bytes, let code, let reason) = machine.tick(now: now)
        else { return }
        logger.debug("peer session timed out", metadata: ["reason": "\(reason)"])
        // Its own task: closing waits for the socket, and the sweep must go on to the others.
        timeoutClosing = Task(executorPreference: loop) { await self.finish(bytes, code: code, reason: reason) }
    }

    // MARK: Writing

    /// Writes one envelope as a text frame; false (and the session closed 1008) when the client
    /// does not read or the connection failed.
    private func write(_ envelope: [UInt8]) async -> Bool {
        guard !closed else { return false }
        frame.removeAll(keepingCapacity: true)
        do {
            try websocket.writeText(envelope, into: &frame)
            try io.stream.sendNow(frame)
            return true
        } catch RuntimeError.writeBufferFull {
            logger.info("closing a peer session whose client does not read")
            await abandon()
            return false
        } catch {
            logger.trace("peer session write failed", metadata: ["error": "\(error)"])
            await abandon()
            return false
        }
    }

    private func sendAutomaticReplies() async {
        guard websocket.hasPendingOutbound, !closed else { return }
        frame.removeAll(keepingCapacity: true)
        websocket.drainOutbound(into: &frame)
        do {
            try io.stream.sendNow(frame)
        } catch {
            await abandon()
        }
    }

    /// Writes `envelope` (if any) and a close frame, then closes the connection.
    private func finish(_ envelope: [UInt8]?, code: WebSocketCloseCode, reason: String) async {
        guard !closed else { return }
        machine.markClosed()
        frame.removeAll(keepingCapacity: true)
        if let envelope { try? websocket.writeText(envelope, into: &frame) }
        try? websocket.close(code: code, reason: reason, into: &frame)
        try? io.stream.sendNow(frame)
        await finishNow()
    }

    /// Closes the connection after flushing what is queued, unless the client is not reading.
    private func finishNow() async {
        guard !closed else { return }
        closed = true
        machine.markClosed()
        await flushAndCloseStream()
    }

    /// Closes 1008 without waiting for a client that does not read.
    private func abandon() async {
        guard !closed else { return }
        closed = true
        machine.markClosed()
        frame.removeAll(keepingCapacity: true)
        try? websocket.close(code: .policyViolation, reason: "not reading", into: &frame)
        try? io.stream.sendNow(frame)
        await io.stream.close()
    }
}

extension ContinuousClock.Instant {
    /// Nanoseconds from this instant to now.
    var elapsedNanoseconds: UInt64 {
        let (seconds, attoseconds) = (ContinuousClock.now - self).components
        return UInt64(max(0, seconds)) &* 1_000_000_000 &+ UInt64(max(0, attoseconds / 1_000_000_000))
    }
}
