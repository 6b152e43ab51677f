import Logging
import RingwayEnvelope
import RingwayRuntime
import RingwayWebSocket

/// One `/ws/v1/events` connection: a server → client stream with no HELLO.
///
/// The actor is pinned to the connection's loop. Fan-outs queue frames on it from a task on the
/// same loop (``enqueue(_:)``), never waiting for the client. It reads only to answer the client:
/// pings get pongs, a data frame gets a signed `ERROR MALFORMED` (the stream stays open), a close
/// is echoed. It pings the client every heartbeat interval and closes with 1008 after three
/// intervals without any frame from it; a client that leaves more than the socket's write limit
/// unread is closed with 1008 too.
actor EventSubscriber: UpgradedStreamOwner {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    nonisolated let entityID: EntityID

    /// What happened to a frame handed to ``enqueue(_:)``.
    enum EnqueueResult: Sendable {
        /// Queued for the client.
        case written
        /// The client does not read: the caller closes the subscriber with ``abandon()``.
        case stalled
        /// The subscriber is closing; nothing was written.
        case closed
    }

    let io: LoopConfinedStream
    private let hub: EventHub
    private let slot: SubscriptionSlot
    private var websocket: WebSocketConnection
    private let logger: Logger
    private let heartbeat: Duration
    private var lastActivity: ContinuousClock.Instant
    private var nextPing: ContinuousClock.Instant
    private var frame: [UInt8] = []
    private var scratch: [UInt8] = []
    /// No more data frames are written.
    private var closed = false
    /// The stream's close has begun.
    private var closing = false
    private var timerClosing = false

    init(stream: LoopConfinedStream, entity: EntityID, hub: EventHub, slot: SubscriptionSlot, settings: PeerSessionSettings, logger: Logger) {
        self.loop = stream.stream.loop
        self.entityID = entity
        self.io = stream
        self.hub = hub
        self.slot = slot
        // Clients send nothing but control frames; a data message still may be as large as on
        // `/ws/v1/peers` (larger closes with 1009), and is answered with an ERROR.
        let oneRead = max(stream.stream.loop.configuration.maxPendingReadBytes, ConnectionStream.maxReadChunk)
        self.websocket = WebSocketConnection(role: .server, configuration: WebSocketConfiguration(
            maxFrameSize: settings.maxMessageBytes, maxMessageSize: settings.maxMessageBytes,
            maxBufferedBytes: 2 * (settings.maxMessageBytes + 16) + 2 * oneRead))
        self.heartbeat = .seconds(max(1, settings.heartbeatIntervalSeconds))
        let now = ContinuousClock.now
        self.lastActivity = now
        self.nextPing = now + heartbeat
        var logger = logger
        logger[metadataKey: "entity_id"] = "\(entity.rawValue)"
        self.logger = logger
    }

    /// Silence after which the subscriber is closed: three heartbeat intervals.
    private var silenceLimit: Duration { heartbeat * 3 }

    /// Serves the subscription until it ends.
    func run() async {
        defer { slot.release() }
        guard hub.register(self) else {
            await goAway()
            return
        }
        hub.metrics.sessionOpened(.events)
        logger.debug("event subscriber opened")
        await withTaskGroup(of: Void.self) { group in
            group.addTask(executorPreference: self.loop) { await self.timers() }
            await self.readLoop()
            // A timer that is closing the socket must not be cancelled (see HTTPConnection.run).
            if !self.timerClosing { group.cancelAll() }
        }
        hub.remove(self)
        hub.metrics.sessionClosed(.events)
        closed = true
        closing = true
        await io.stream.close()
        logger.debug("event subscriber closed")
    }

    // MARK: Called by the hub

    /// Queues an encoded frame without waiting. Runs on the subscriber's loop.
    func enqueue(_ frame: [UInt8]) -> EnqueueResult {
        guard !closed else { return .closed }
        do {
            try io.stream.sendNow(frame)
            return .written
        } catch {
            // A full write buffer (the client does not read) or a failed connection.
            closed = true
            return .stalled
        }
    }

    /// Closes with 1008 without waiting for a client that does not read.
    func abandon() async {
        guard !closing else { return }
        logger.info("closing an event subscriber whose client does not read")
        closed = true
        closing = true
        frame.removeAll(keepingCapacity: true)
        try? websocket.close(code: .policyViolation, reason: "not reading", into: &frame)
        try? io.stream.sendNow(frame)
        await io.stream.close()
    }

    /// Server shutdown: close 1001.
    func goAway() async {
        await finish(code: .goingAway, reason: "server shutting down")
    }

    // MARK: Reading

    private func readLoop() async {
        do {
            while !closing {
                // A fresh array each time, handed over whole: an idle subscriber holds no buffer.
                var buffer: [UInt8] = []
                let count = try await io.stream.read(into: &buffer)
                if closing { return }
                lastActivity = ContinuousClock.now
                if count == 0 { websocket.feedEOF() } else { websocket.feed(consume buffer) }
                await processEvents()
            }
        } catch {
            logger.trace("event subscriber ended", metadata: ["error": "\(error)"])
        }
    }

    private func processEvents() async {
        while !closing {
            switch websocket.next() {
            case .text, .binary:
                let payload = ErrorPayload(code: .malformed, message: "the events stream carries server to client messages only")
                await write(hub.signedEnvelope(.error, to: .entity(entityID), payload: payload.json, scratch: &scratch))
            case .ping, .pong:
                await sendAutomaticReplies()
            case .close, .protocolError, .finished:
                // The echo of the client's close, or the close for its protocol error, is queued.
                closed = true
                await sendAutomaticReplies()
                await finishNow()
                return
            case .needMoreData:
                await sendAutomaticReplies()
                return
            }
        }
    }

    // MARK: Timers

    /// Pings every heartbeat interval; closes 1008 after three intervals of silence.
    private func timers() async {
        while !closing {
            // Monotonic time: a wall-clock step must not close or keep a subscriber.
            let now = ContinuousClock.now
            if now >= lastActivity + silenceLimit {
                timerClosing = true
                logger.debug("event subscriber timed out")
                await finish(code: .policyViolation, reason: "heartbeat timeout")
                return
            }
            if now >= nextPing {
                nextPing = now + heartbeat
                frame.removeAll(keepingCapacity: true)
                try? websocket.writePing([], into: &frame)
                await send(frame)
            }
            let deadline = min(nextPing, lastActivity + silenceLimit)
            do {
                // One wakeup per interval at most: idle subscribers cost no timer traffic.
                try await loop.sleep(for: max(deadline - now, .milliseconds(10)))
            } catch {
                return
            }
        }
    }

    // MARK: Writing

    /// Writes one server envelope as a text frame.
    private func write(_ envelope: [UInt8]) async {
        guard !closed else { return }
        frame.removeAll(keepingCapacity: true)
        do {
            try websocket.writeText(envelope, into: &frame)
        } catch {
            return
        }
        await send(frame)
    }

    /// Queues bytes; a client that does not read is abandoned.
    private func send(_ bytes: [UInt8]) async {
        guard !closed else { return }
        do {
            try io.stream.sendNow(bytes)
        } catch {
            await abandon()
        }
    }

    private func sendAutomaticReplies() async {
        guard websocket.hasPendingOutbound, !closing else { return }
        frame.removeAll(keepingCapacity: true)
        websocket.drainOutbound(into: &frame)
        do {
            try io.stream.sendNow(frame)
        } catch {
            await abandon()
        }
    }

    /// Writes a close frame, then closes the connection.
    private func finish(code: WebSocketCloseCode, reason: String) async {
        guard !closed else { return }
        closed = true
        frame.removeAll(keepingCapacity: true)
        try? websocket.close(code: code, reason: reason, into: &frame)
        try? io.stream.sendNow(frame)
        await finishNow()
    }

    /// Closes the connection after flushing what is queued, unless the client is not reading.
    private func finishNow() async {
        guard !closing else { return }
        closing = true
        closed = true
        await flushAndCloseStream()
    }
}
