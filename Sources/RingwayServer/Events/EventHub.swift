import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import RingwayRuntime
import RingwayWebSocket
import Synchronization

/// The `/ws/v1/events` subscribers and the fan-out of broadcasts and peer online/offline events.
///
/// Subscribers are grouped by the loop their connection runs on. A fan-out encodes the
/// WebSocket frame once and writes it with one child task per loop, which queues the frame on
/// each of that loop's subscribers without waiting for the network: a subscriber whose write
/// buffer is full is closed (1008) after the others of its loop were written, so one slow
/// subscriber never delays the others.
///
/// Each entity may hold ``maxSubscriptionsPerEntity`` subscriptions at once; one more is refused
/// before the upgrade with 429 `RATE_LIMITED`. The total is bounded by the server's connection
/// cap, since every subscription is a connection.
public final class EventHub: Sendable {
    /// Subscriptions one entity may hold at once, unless configured otherwise.
    public static let defaultMaxSubscriptionsPerEntity = 8
    /// Server events waiting to be fanned out, at most; past it the oldest are dropped (and
    /// counted in the metrics).
    static let maxPendingServerEvents = 4_096

    /// Subscriptions one entity may hold at once.
    public let maxSubscriptionsPerEntity: Int
    let serverEntityID: EntityID
    let serverKey: Ed25519PrivateKey
    let admission: Admission
    let metrics: ServerMetrics
    let clock: any UnixClock

    /// The subscribers of one loop, as a fan-out sees them.
    struct LoopSubscribers: Sendable {
        let loop: EventLoop
        let subscribers: [EventSubscriber]
    }

    private struct LoopGroup {
        let loop: EventLoop
        var subscribers: [ObjectIdentifier: EventSubscriber] = [:]
    }

    private struct State {
        var groups: [ObjectIdentifier: LoopGroup] = [:]
        var count = 0
        /// Subscriptions reserved per entity (reserved at the upgrade, released at the end).
        var slots: [EntityID: Int] = [:]
        /// What fan-outs use until the subscribers change.
        var snapshot: [LoopSubscribers]?
        var shuttingDown = false
    }

    private struct ServerEventQueue {
        var pending: [ServerEvent] = []
        var draining = false
        var stopped = false
    }

    /// A peer online/offline event waiting to be signed and fanned out.
    struct ServerEvent: Sendable {
        var kind: ServerMetrics.ServerEvent
        var entity: EntityID
        var transport: String?
    }

    private let state = Locked(State())
    private let serverEvents = Locked(ServerEventQueue())

    /// Creates a hub whose server events are signed by `serverKey` as `serverEntityID`.
    public init(
        serverEntityID: EntityID, serverKey: Ed25519PrivateKey, admission: Admission, metrics: ServerMetrics, clock: any UnixClock,
        maxSubscriptionsPerEntity: Int = EventHub.defaultMaxSubscriptionsPerEntity
    ) {
        self.serverEntityID = serverEntityID
        self.serverKey = serverKey
        self.admission = admission
        self.metrics = metrics
        self.clock = clock
        self.maxSubscriptionsPerEntity = max(1, maxSubscriptionsPerEntity)
    }

    /// Subscribers now.
    public var subscriberCount: Int { state.withLock { $0.count } }

    /// Writes a broadcast MESSAGE's bytes, unchanged, to every subscriber the sender may reach;
    /// one slow subscriber never delays the others. Returns the number of subscribers written to.
    ///
    /// `bytes` is one envelope, valid UTF-8 (as every received text message is).
    public func broadcast(_ bytes: [UInt8], from sender: EntityID) async -> Int {
        let admission = self.admission
        let written = await fanOut(Self.textFrame(bytes)) { subscriber in
            admission.maySend(sender, to: .entity(subscriber))
        }
        metrics.broadcastFannedOut(subscribers: written)
        return written
    }

    /// Tells the subscribers that `entity` came online on `transport` (`websocket` or `http`).
    public func peerOnline(_ entity: EntityID, transport: String) {
        publishLater(ServerEvent(kind: .peerOnline, entity: entity, transport: transport))
    }

    /// Tells the subscribers that `entity` went offline.
    public func peerOffline(_ entity: EntityID) {
        publishLater(ServerEvent(kind: .peerOffline, entity: entity, transport: nil))
    }

    /// Server shutdown: closes every subscriber with 1001.
    public func shutdown() async {
        serverEvents.withLock { queue in
            queue.stopped = true
            queue.pending = []
        }
        let subscribers = state.withLock { state in
            state.shuttingDown = true
            return state.groups.values.flatMap { $0.subscribers.values }
        }
        await withTaskGroup(of: Void.self) { group in
            for subscriber in subscribers {
                group.addTask(executorPreference: subscriber.loop) { await subscriber.goAway() }
            }
        }
    }

    // MARK: Subscriptions

    /// Reserves one of `entity`'s subscriptions; nil when it holds the most it may.
    func reserveSlot(for entity: EntityID) -> SubscriptionSlot? {
        let reserved = state.withLock { state in
            let held = state.slots[entity, default: 0]
            guard held < maxSubscriptionsPerEntity else { return false }
            state.slots[entity] = held + 1
            return true
        }
        return reserved ? SubscriptionSlot(hub: self, entity: entity) : nil
    }

    fileprivate func releaseSlot(for entity: EntityID) {
        state.withLock { state in
            let held = state.slots[entity, default: 0]
            if held <= 1 { state.slots[entity] = nil } else { state.slots[entity] = held - 1 }
        }
    }

    /// Adds a subscriber; false when the server is shutting down.
    func register(_ subscriber: EventSubscriber) -> Bool {
        state.withLock { state in
            guard !state.shuttingDown else { return false }
            let key = ObjectIdentifier(subscriber.loop)
            if state.groups[key] == nil { state.groups[key] = LoopGroup(loop: subscriber.loop) }
            if state.groups[key]!.subscribers.updateValue(subscriber, forKey: ObjectIdentifier(subscriber)) == nil {
                state.count += 1
            }
            state.snapshot = nil
            return true
        }
    }

    /// Removes a subscriber that ended.
    func remove(_ subscriber: EventSubscriber) {
        state.withLock { state in
            let key = ObjectIdentifier(subscriber.loop)
            if state.groups[key]?.subscribers.removeValue(forKey: ObjectIdentifier(subscriber)) != nil {
                state.count -= 1
                state.snapshot = nil
            }
        }
    }

    /// The subscribers grouped by loop; cached until they change.
    private func snapshot() -> [LoopSubscribers] {
        state.withLock { state in
            if let snapshot = state.snapshot { return snapshot }
            let snapshot = state.groups.values.compactMap { group in
                group.subscribers.isEmpty ? nil : LoopSubscribers(loop: group.loop, subscribers: Array(group.subscribers.values))
            }
            state.snapshot = snapshot
            return snapshot
        }
    }

    // MARK: Fan-out

    /// `payload` as one unmasked text frame: encoded once, shared by every subscriber.
    static func textFrame(_ payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(WebSocketFrameEncoder.headerLength(payloadLength: payload.count, masked: false) + payload.count)
        WebSocketFrameEncoder.writeFrame(opcode: .text, payload: payload, mask: nil, into: &frame)
        return frame
    }

    /// Queues `frame` on every subscriber whose entity passes `allowed`, with one child task per
    /// loop; returns how many were written.
    func fanOut(_ frame: [UInt8], allowed: @escaping @Sendable (EntityID) -> Bool) async -> Int {
        let groups = snapshot()
        guard !groups.isEmpty else { return 0 }
        return await withTaskGroup(of: Int.self) { group in
            for loopGroup in groups {
                group.addTask(executorPreference: loopGroup.loop) {
                    let (written, stalled) = Self.enqueue(frame, on: loopGroup.subscribers, allowed: allowed)
                    // Closed only once every other subscriber of the loop has its copy.
                    for subscriber in stalled { await subscriber.abandon() }
                    return written
                }
            }
            return await group.reduce(0, +)
        }
    }

    /// Queues `frame` on each of `subscribers` (all on the current loop) that passes `allowed`;
    /// returns how many were written and those whose client does not read.
    private static func enqueue(
        _ frame: [UInt8], on subscribers: [EventSubscriber], allowed: (EntityID) -> Bool
    ) -> (written: Int, stalled: [EventSubscriber]) {
        var written = 0
        var stalled: [EventSubscriber] = []
        for subscriber in subscribers where allowed(subscriber.entityID) {
            // Called from a task running on the subscriber's loop thread, which is its actor's
            // executor: the write is a plain call, with no hop per subscriber (checked at run time).
            switch subscriber.assumeIsolated({ $0.enqueue(frame) }) {
            case .written: written += 1
            case .stalled: stalled.append(subscriber)
            case .closed: break
            }
        }
        return (written, stalled)
    }

    // MARK: Server events

    /// Queues a server event for the one task that signs and fans them out in order; starts that
    /// task when it is not running. Never blocks the caller for more than a short lock.
    private func publishLater(_ event: ServerEvent) {
        var dropped = 0
        let start = serverEvents.withLock { queue in
            guard !queue.stopped else { return false }
            if queue.pending.count >= Self.maxPendingServerEvents {
                queue.pending.removeFirst()
                dropped = 1
            }
            queue.pending.append(event)
            guard !queue.draining else { return false }
            queue.draining = true
            return true
        }
        if dropped > 0 { metrics.serverEventsDropped(count: dropped) }
        if start { Task { await self.drainServerEvents() } }
    }

    private func drainServerEvents() async {
        while true {
            let batch = serverEvents.withLock { queue in
                let batch = queue.stopped ? [] : queue.pending
                queue.pending = []
                if batch.isEmpty { queue.draining = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            for event in batch { await publish(event) }
        }
    }

    /// Signs `event` once and fans it out to the subscribers allowed to reach its entity.
    func publish(_ event: ServerEvent) async {
        // Nobody to tell: spare the signature.
        guard subscriberCount > 0 else { return }
        let admission = self.admission
        let entity = event.entity
        let frame = Self.textFrame(serverEventEnvelope(event))
        _ = await fanOut(frame) { subscriber in admission.maySend(subscriber, to: .entity(entity)) }
        metrics.serverEventPublished(event.kind)
    }

    /// The server-signed MESSAGE announcing `event`: `from_entity` the server, `to_entity` `*`,
    /// payload `{"event":"peer_online","entity_id":E,"transport":T}` or
    /// `{"event":"peer_offline","entity_id":E}`.
    func serverEventEnvelope(_ event: ServerEvent) -> [UInt8] {
        var payload: JSONObject = ["event": .string(event.kind.rawValue), "entity_id": .string(event.entity.rawValue)]
        if let transport = event.transport { payload["transport"] = .string(transport) }
        var scratch: [UInt8] = []
        return signedEnvelope(.message, to: .broadcast, payload: payload, scratch: &scratch)
    }

    /// An envelope from the server, signed with its key.
    func signedEnvelope(_ type: EnvelopeType, to recipient: Recipient?, payload: JSONObject, scratch: inout [UInt8]) -> [UInt8] {
        let now = clock.unixMilliseconds()
        let envelope = Envelope(
            messageID: WireUUID.v7(unixMilliseconds: now), type: type, fromEntity: serverEntityID, toEntity: recipient,
            timestamp: Int64(now / 1_000), payload: payload)
        return envelope.signed(with: serverKey, scratch: &scratch).encoded()
    }
}

/// One of an entity's subscriptions, reserved before the upgrade. Released exactly once: by the
/// subscriber when it ends, or when dropped unused (the upgrade failed before the session ran).
final class SubscriptionSlot: Sendable {
    private let hub: EventHub
    let entity: EntityID
    private let released = Atomic<Bool>(false)

    fileprivate init(hub: EventHub, entity: EntityID) {
        self.hub = hub
        self.entity = entity
    }

    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        hub.releaseSlot(for: entity)
    }

    deinit {
        release()
    }
}
