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

/// The I/O of one `/ws/v1/peers` session: WebSocket frames in and out, timers, routing through
/// the hub. The protocol decisions are ``PeerSessionStateMachine``'s.
///
/// The actor is pinned to the connection's loop. Other sessions deliver to it by a hop to this
/// actor; a delivery never waits for the client: when the client leaves more than the socket's
/// write limit unread, the session is closed (1008) and the envelope goes back to the queue.
actor PeerSession {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    nonisolated let entityID: EntityID

    /// Past this many unsent bytes a closing session does not wait to flush its close frame.
    static let closeFlushLimit = 256 << 10
    /// Longest a closing session waits for its last frames to reach the kernel.
    static let closeFlushTimeout = Duration.seconds(2)

    private let io: LoopConfinedStream
    private let hub: PeerHub
    private var machine: PeerSessionStateMachine
    private var websocket: WebSocketConnection
    private let logger: Logger
    private var frame: [UInt8] = []
    private var closed = false
    private var timerClosing = false

    init(stream: LoopConfinedStream, entity: AuthenticatedEntity, hub: PeerHub, logger: Logger) {
        self.loop = stream.stream.loop
        self.entityID = entity.entityID
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
        await withTaskGroup(of: Void.self) { group in
            group.addTask(executorPreference: self.loop) { await self.timers() }
            await self.readLoop()
            // A timer that is closing the socket must not be cancelled (see HTTPConnection.run).
            if !self.timerClosing { group.cancelAll() }
        }
        hub.ended(self, replay: machine.replay)
        if !closed {
            closed = true
            await io.stream.close()
        }
        logger.debug("peer session closed")
    }

    // MARK: Called by other sessions and the hub

    /// Writes an envelope routed from `sender`; false when the session can no longer take it.
    func deliver(_ bytes: [UInt8], from sender: EntityID, messageID: WireUUID, isAck: Bool) async -> Bool {
        guard !closed, machine.phase == .ready else { return false }
        guard await write(bytes) else { return false }
        if !isAck { machine.noteForwarded(from: sender, messageID: messageID) }
        return true
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
        var buffer: [UInt8] = []
        do {
            while !closed {
                buffer.removeAll(keepingCapacity: true)
                let count = try await io.stream.read(into: &buffer)
                if closed { return }
                if count == 0 { websocket.feedEOF() } else { websocket.feed(buffer) }
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
            if let refusal = hub.admission.admitMessage(from: entityID, to: .entity(recipient), byteCount: original.count, now: hub.now) {
                _ = await write(machine.error(refusal.code, refusal.message, ref: messageID, now: hub.now))
                return
            }
            let outcome = await hub.route(Array(original), to: recipient, sender: entityID, messageID: messageID, isAck: false)
            let now = hub.now
            let answer: [UInt8]
            switch outcome {
            case .delivered: answer = machine.ack(messageID, status: .delivered, now: now)
            case .queued: answer = machine.ack(messageID, status: .queued, now: now)
            case .queueFull: answer = machine.error(.queueFull, "the recipient's queue is full", ref: messageID, now: now)
            case .unknownRecipient: answer = machine.error(.unknownRecipient, "unknown recipient", ref: messageID, now: now)
            }
            _ = await write(answer)
        case .routeAck(let recipient, let messageID):
            // The server never answers an ACK with an ACK; only a refusal is reported.
            let outcome = await hub.route(Array(original), to: recipient, sender: entityID, messageID: messageID, isAck: true)
            switch outcome {
            case .delivered, .queued: break
            case .queueFull: _ = await write(machine.error(.queueFull, "the recipient's queue is full", ref: messageID, now: hub.now))
            case .unknownRecipient: _ = await write(machine.error(.unknownRecipient, "unknown recipient", ref: messageID, now: hub.now))
            }
        }
    }

    /// After READY: registers with the hub (closing the session it replaces), then delivers what
    /// was held for the entity.
    private func becomeReady() async {
        guard let (replaced, held) = hub.register(self) else {
            await goAway()
            return
        }
        logger.debug("peer session ready", metadata: ["held": "\(held.count)"])
        if let replaced, replaced !== self {
            let memory = await replaced.replace()
            machine.absorbReplayMemory(memory, now: hub.now)
        }
        for (index, envelope) in held.enumerated() {
            guard await deliver(envelope.bytes, from: envelope.sender, messageID: envelope.messageID, isAck: envelope.isAck) else {
                hub.requeue(Array(held[index...]), for: entityID)
                return
            }
        }
    }

    // MARK: Timers

    private func timers() async {
        while !closed {
            guard let deadline = machine.nextDeadline else { return }
            let now = hub.now
            if deadline <= now {
                if case .close(let bytes, let code, let reason) = machine.tick(now: now) {
                    timerClosing = true
                    logger.debug("peer session timed out", metadata: ["reason": "\(reason)"])
                    await finish(bytes, code: code, reason: reason)
                    return
                }
            }
            do {
                try await loop.sleep(for: .milliseconds(min(max(deadline - now, 10), 1_000)))
            } catch {
                return
            }
        }
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
        let buffered = io.stream.bufferedWriteBytes
        if buffered > 0, buffered <= Self.closeFlushLimit {
            // Bounded: a client that stopped reading must not hold the session (or a shutdown).
            await withTaskGroup(of: Void.self) { group in
                group.addTask(executorPreference: self.loop) {
                    do {
                        try await self.loop.sleep(for: Self.closeFlushTimeout)
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

    private func closeStream() async {
        await io.stream.close()
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
