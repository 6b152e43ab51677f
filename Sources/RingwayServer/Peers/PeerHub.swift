import Logging
import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import RingwayRuntime
import Synchronization

/// Where a routed MESSAGE went.
enum RouteOutcome: Sendable, Hashable {
    /// Written to the recipient's live session.
    case delivered
    /// Held for the recipient, who is offline or on HTTP fallback.
    case queued
    /// The recipient's queue is full; nothing was held.
    case queueFull
    /// Neither pinned, in the keys file, nor connected.
    case unknownRecipient
}

/// How an entity is reachable now.
public enum PeerTransport: String, Sendable, Hashable {
    case websocket
    case http
}

/// One entry of `GET /peers/discover`.
public struct PeerPresence: Sendable, Hashable {
    /// The entity.
    public var entityID: EntityID
    /// Its pinned public key.
    public var publicKey: Ed25519PublicKey
    /// How it is reachable now; nil when offline.
    public var transport: PeerTransport?
    /// Unix seconds it was last connected or polling (now when online); nil when never seen.
    public var lastSeen: Int64?
}

/// The live `/ws/v1/peers` sessions (one per entity), the HTTP pollers, and the messages held for
/// each recipient until it acknowledges them, reachable from every loop.
///
/// The table is sharded by entity over ``shardCount`` mutexes, each held only for dictionary
/// updates, so sessions on different loops rarely contend; delivering to a session is a hop to
/// that session's actor (on its own loop), made after the lock is released.
///
/// Delivery is at least once (contract §7.3): every accepted MESSAGE goes into its recipient's
/// ``Mailbox`` first and stays there until the recipient's `received` ACK, or until it ages out
/// (its sender then gets `ACK expired`). A new session of the recipient is handed everything
/// still held, so nothing written to a connection that then failed is lost.
public final class PeerHub: Sendable {
    private struct Presence: Sendable {
        /// Unix seconds.
        var lastSeen: Int64
        /// Polls open now.
        var openPolls = 0
        /// Unix ms until which the entity counts as on HTTP fallback (60 s after its last poll).
        var httpUntil: Int64 = 0
    }

    private struct State: Sendable {
        var sessions: [EntityID: PeerSession] = [:]
        /// Every open session, ready or not, for shutdown.
        var open: [ObjectIdentifier: PeerSession] = [:]
        var mailboxes: [EntityID: Mailbox] = [:]
        var replay: [EntityID: ReplayGuard] = [:]
        var pollers: [EntityID: PollWaiter] = [:]
        var presence: [EntityID: Presence] = [:]
    }

    private final class Shard: Sendable {
        let state = Locked(State())
    }

    /// Shards of the table.
    static let shardCount = 16
    /// Most replay memories kept, per shard, for entities that are offline.
    static let maxStoredReplayMemories = 1_024
    /// An entity counts as on HTTP fallback this long after its last poll (contract §9).
    static let httpFallbackLingerMilliseconds: Int64 = 60_000
    /// Most presence records kept per shard for entities that are offline.
    static let maxStoredPresence = 4_096

    /// The settings of every session.
    public let settings: PeerSessionSettings
    /// Applies the sessions' timeouts, one sweep per loop.
    let timeouts: SessionTimeouts
    let serverEntityID: EntityID
    let serverKey: Ed25519PrivateKey
    let auth: AuthService
    let clock: any UnixClock
    /// The allow-list and rate limits.
    public let admission: Admission
    /// The daemon's counters.
    public let metrics: ServerMetrics
    /// The `/ws/v1/events` subscribers.
    public let events: EventHub
    private let shards: [Shard]
    private let shuttingDown = Atomic<Bool>(false)
    private let generations = Atomic<UInt64>(0)

    /// Creates the hub of a node whose entity id is `serverEntityID` and key `serverKey`.
    public init(
        serverEntityID: EntityID, serverKey: Ed25519PrivateKey, auth: AuthService, settings: PeerSessionSettings,
        admission: Admission = Admission(), metrics: ServerMetrics = ServerMetrics()
    ) {
        self.admission = admission
        self.metrics = metrics
        self.events = EventHub(
            serverEntityID: serverEntityID, serverKey: serverKey, admission: admission, metrics: metrics, clock: auth.clock)
        self.serverEntityID = serverEntityID
        self.serverKey = serverKey
        self.auth = auth
        self.clock = auth.clock
        self.settings = settings
        self.timeouts = SessionTimeouts(period: .milliseconds(settings.timeoutSweepMilliseconds), clock: auth.clock)
        self.shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// The hub of the node described by `configuration` and `identity`.
    public convenience init(
        configuration: ServerConfiguration, identity: NodeIdentity, auth: AuthService, settings: PeerSessionSettings? = nil,
        admission: Admission = Admission(), metrics: ServerMetrics = ServerMetrics()
    ) {
        // The configured entity id was validated when the configuration was loaded.
        let entity = EntityID(configuration.entityID) ?? EntityID("ringwayd")!
        self.init(serverEntityID: entity, serverKey: identity.privateKey, auth: auth,
                  settings: settings ?? PeerSessionSettings(configuration: configuration), admission: admission, metrics: metrics)
    }

    /// Runs `body` on the shard that holds `entityID`.
    private func withShard<Result>(_ entityID: EntityID, _ body: (inout State) -> Result) -> Result {
        var hasher = Hasher()
        hasher.combine(entityID)
        let index = Int(UInt(bitPattern: hasher.finalize()) % UInt(Self.shardCount))
        return shards[index].state.withLock { body(&$0) }
    }

    /// Entities with a ready session now.
    public var sessionCount: Int { shards.reduce(0) { total, shard in total + shard.state.withLock { $0.sessions.count } } }

    /// Messages held for `entityID` now (not yet acknowledged by it).
    public func heldCount(for entityID: EntityID) -> Int { withShard(entityID) { $0.mailboxes[entityID]?.messages.count ?? 0 } }

    /// Messages held now, by recipient (reported at shutdown).
    public var heldCounts: [String: Int] {
        shards.reduce(into: [:]) { counts, shard in
            shard.state.withLock { state in
                for (entity, mailbox) in state.mailboxes where !mailbox.messages.isEmpty {
                    counts[entity.rawValue] = mailbox.messages.count
                }
            }
        }
    }

    /// Wall-clock Unix milliseconds.
    var now: Int64 { Int64(clock.unixMilliseconds()) }

    /// A new session id (a UUIDv7: time-ordered, with 74 random bits).
    func nextSessionID() -> String {
        WireUUID.v7(unixMilliseconds: UInt64(max(0, now))).description
    }

    /// A number no other session or poll of this hub has.
    func nextGeneration() -> UInt64 {
        generations.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// Whether `entityID` may receive messages: in the keys file or pinned.
    func isKnown(_ entityID: EntityID) -> Bool {
        auth.pinnedKeys[entityID.rawValue] != nil
    }

    // MARK: Sessions

    /// The replay memory a new session of `entityID` starts with (left by its previous session).
    func takeReplayMemory(for entityID: EntityID) -> ReplayGuard? {
        withShard(entityID) { $0.replay.removeValue(forKey: entityID) }
    }

    /// Records an open session (before HELLO); false when the server is shutting down.
    func opened(_ session: PeerSession) -> Bool {
        withShard(session.entityID) { state in
            // Read under the shard's lock: `shutdown` sets the flag before collecting each shard.
            guard !shuttingDown.load(ordering: .sequentiallyConsistent) else { return false }
            state.open[ObjectIdentifier(session)] = session
            return true
        }
    }

    /// What a session that became ready is handed.
    struct Registration: Sendable {
        /// The session it replaces, to be closed.
        var replaced: PeerSession?
        /// Server notices (routed ACKs, `expired`) waiting for the entity, written once.
        var notices: [[UInt8]]
        /// Every message held for the entity, oldest first; they stay held until acknowledged.
        var messages: [[UInt8]]
    }

    /// Makes `session` the entity's live session and hands it what is held for the entity, or
    /// nil when the server is shutting down.
    func register(_ session: PeerSession) -> Registration? {
        let now = self.now
        let registration: Registration? = withShard(session.entityID) { state in
            guard !shuttingDown.load(ordering: .sequentiallyConsistent) else { return nil }
            let old = state.sessions.updateValue(session, forKey: session.entityID)
            state.presence[session.entityID, default: Presence(lastSeen: now / 1_000)].lastSeen = now / 1_000
            let taken = state.mailboxes[session.entityID]?.takeForSession(session.generation)
            return Registration(replaced: old, notices: taken?.notices ?? [], messages: taken?.messages.map(\.bytes) ?? [])
        }
        if let registration, registration.replaced == nil {
            events.peerOnline(session.entityID, transport: PeerTransport.websocket.rawValue)
        }
        return registration
    }

    /// Forgets `session` if it is still the entity's live session, and keeps its replay memory.
    /// What was handed to it and not acknowledged is free for the next session or poll.
    func ended(_ session: PeerSession, replay: ReplayGuard?) {
        // Only the ids still inside the window are kept; computed before taking the lock.
        let now = self.now
        let compact = replay.map { replay in
            var compact = ReplayGuard(windowSeconds: replay.windowSeconds, capacity: replay.capacity)
            compact.absorb(replay, now: now / 1_000)
            return compact
        }
        let wentOffline: Bool = withShard(session.entityID) { state in
            state.open[ObjectIdentifier(session)] = nil
            guard state.sessions[session.entityID] === session else { return false }
            state.sessions[session.entityID] = nil
            state.mailboxes[session.entityID]?.sessionEnded(session.generation)
            state.presence[session.entityID]?.lastSeen = now / 1_000
            if var compact {
                // What was posted over HTTP meanwhile is remembered too.
                if let posted = state.replay[session.entityID] { compact.absorb(posted, now: now / 1_000) }
                // Bounded: past the cap an arbitrary stored memory is dropped (its sender's next
                // session then starts with a fresh one; the timestamp window still applies).
                if state.replay.count >= Self.maxStoredReplayMemories, state.replay[session.entityID] == nil,
                   let victim = state.replay.keys.first {
                    state.replay[victim] = nil
                }
                state.replay[session.entityID] = compact
            }
            // A poll of the same entity may now take what the session was handed.
            state.pollers[session.entityID]?.signal()
            return !Self.isOnHTTP(state.presence[session.entityID], now: now)
        }
        if wentOffline { events.peerOffline(session.entityID) }
    }

    /// Puts back notices a new session could not write (it closed meanwhile).
    func restoreNotices(_ notices: [[UInt8]], for entityID: EntityID) {
        guard !notices.isEmpty else { return }
        withShard(entityID) { state in
            for notice in notices.reversed() { state.mailboxes[entityID, default: Mailbox()].prependNotice(notice) }
        }
    }

    // MARK: Routing

    /// Routes `bytes` (a MESSAGE, unchanged) to `recipient`: held in its mailbox until it
    /// acknowledges it, and written at once to its live session when it has one.
    func route(
        _ bytes: [UInt8], to recipient: EntityID, sender: EntityID, messageID: WireUUID,
        isolation: isolated (any Actor)? = #isolation
    ) async -> RouteOutcome {
        let known = isKnown(recipient)
        let now = self.now
        enum Step { case deliver(PeerSession), done(RouteOutcome) }
        let step: Step = withShard(recipient) { state in
            let session = state.sessions[recipient]
            guard known || session != nil else { return .done(.unknownRecipient) }
            let handoff: Handoff = session.map { .session($0.generation) } ?? .none
            // Mutated in place: a copy taken out of the dictionary would copy the whole queue.
            let accepted = state.mailboxes[recipient, default: Mailbox()].accept(
                bytes, sender: sender, messageID: messageID, now: now, handoff: handoff, capacity: settings.queueMax)
            guard accepted else { return .done(.queueFull) }
            if let session { return .deliver(session) }
            state.pollers[recipient]?.signal()
            return .done(.queued)
        }
        switch step {
        case .done(let outcome):
            return outcome
        case .deliver(let session):
            // A session that closed meanwhile leaves the message held for the next one.
            return await session.deliver(bytes) ? .delivered : .queued
        }
    }

    /// The recipient `recipient` acknowledged the message `messageID` from `sender`: it is no
    /// longer held, and `ackBytes` (its signed ACK), when given, is routed to the sender once.
    /// False when no such message was held for `recipient`.
    func acknowledge(
        by recipient: EntityID, sender: EntityID, messageID: WireUUID, ackBytes: [UInt8]?,
        isolation: isolated (any Actor)? = #isolation
    ) async -> Bool {
        let found = withShard(recipient) { state in
            guard state.mailboxes[recipient]?.acknowledge(sender: sender, messageID: messageID) == true else { return false }
            if state.mailboxes[recipient]?.isEmpty == true { state.mailboxes[recipient] = nil }
            return true
        }
        if found, let ackBytes { await notify(ackBytes, to: sender) }
        return found
    }

    /// `POST /v1/messages/ack`: `recipient` acknowledged these ids (nothing is routed to their
    /// senders: no signed ACK exists). Returns how many were held.
    func acknowledge(ids: [WireUUID], by recipient: EntityID) -> Int {
        withShard(recipient) { state in
            guard state.mailboxes[recipient] != nil else { return 0 }
            var count = 0
            for id in ids where state.mailboxes[recipient]?.acknowledge(messageID: id) != nil { count += 1 }
            if state.mailboxes[recipient]?.isEmpty == true { state.mailboxes[recipient] = nil }
            return count
        }
    }

    /// Writes a server notice (a routed ACK, an `expired` ACK) to `entityID`'s live session, or
    /// keeps it for its next session or poll. Written at most once.
    func notify(_ bytes: [UInt8], to entityID: EntityID, isolation: isolated (any Actor)? = #isolation) async {
        let session: PeerSession? = withShard(entityID) { state in
            if let session = state.sessions[entityID] { return session }
            if state.mailboxes[entityID, default: Mailbox()].addNotice(bytes, capacity: settings.queueMax) {
                metrics.refused(.queueFull)
            }
            state.pollers[entityID]?.signal()
            return nil
        }
        guard let session else { return }
        if await session.deliver(bytes) { return }
        // It closed meanwhile: keep the notice for the next one.
        restoreNotices([bytes], for: entityID)
    }

    // MARK: HTTP fallback

    /// Replay check of an envelope posted over HTTP (contract §7.8): the entity's replay memory
    /// is the one its sessions keep between them. Records the id when fresh.
    func checkReplay(from entityID: EntityID, messageID: WireUUID, timestamp: Int64, now: Int64) -> Bool {
        let seconds = now / 1_000
        return withShard(entityID) { state in
            var memory = state.replay[entityID]
                ?? ReplayGuard(windowSeconds: Int64(settings.replayWindowSeconds), capacity: settings.replayMemory)
            guard memory.isFresh(timestamp: timestamp, now: seconds), !memory.hasSeen(messageID) else { return false }
            memory.record(messageID, timestamp: timestamp, now: seconds)
            if state.replay.count >= Self.maxStoredReplayMemories, state.replay[entityID] == nil,
               let victim = state.replay.keys.first {
                state.replay[victim] = nil
            }
            state.replay[entityID] = memory
            return true
        }
    }

    /// `GET /v1/messages`: up to `limit` envelopes for `entityID`, waiting up to `wait` on
    /// `loop` when there are none. The entity is on HTTP fallback while this runs and for
    /// ``httpFallbackLingerMilliseconds`` after.
    func poll(
        for entityID: EntityID, limit: Int, wait: Duration, on loop: EventLoop,
        isolation: isolated (any Actor)? = #isolation
    ) async -> [[UInt8]] {
        let start = self.now
        let deadline = start + wait.milliseconds
        var cameOnline = false
        var startedHTTP = false
        defer {
            let end = self.now
            withShard(entityID) { state in
                state.presence[entityID]?.openPolls -= 1
                state.presence[entityID]?.lastSeen = end / 1_000
                state.presence[entityID]?.httpUntil = end + Self.httpFallbackLingerMilliseconds
            }
        }
        withShard(entityID) { state in
            var presence = state.presence[entityID] ?? Presence(lastSeen: start / 1_000)
            startedHTTP = !Self.isOnHTTP(presence, now: start)
            cameOnline = startedHTTP && state.sessions[entityID] == nil
            presence.openPolls += 1
            presence.lastSeen = start / 1_000
            state.presence[entityID] = presence
        }
        if startedHTTP { metrics.sessionOpened(.http) }
        if cameOnline { events.peerOnline(entityID, transport: PeerTransport.http.rawValue) }
        while true {
            let now = self.now
            let waiter = PollWaiter()
            let taken: [[UInt8]]? = withShard(entityID) { state in
                let taken = state.mailboxes[entityID]?.takeForPoll(limit: limit, now: now) ?? []
                if state.mailboxes[entityID]?.isEmpty == true { state.mailboxes[entityID] = nil }
                if !taken.isEmpty || now >= deadline || shuttingDown.load(ordering: .sequentiallyConsistent) { return taken }
                // A newer poll of the same entity takes over; the older one returns empty.
                state.pollers.updateValue(waiter, forKey: entityID)?.signal()
                return nil
            }
            if let taken { return taken }
            // Wakes for a message, for the end of the wait, or for a message returned by an
            // earlier poll becoming due again.
            let redelivery = withShard(entityID) { $0.mailboxes[entityID]?.nextPollRedelivery } ?? deadline
            await waiter.wait(timeout: .milliseconds(max(1, min(deadline, redelivery) - now)), on: loop)
            let superseded = withShard(entityID) { state -> Bool in
                if state.pollers[entityID] === waiter {
                    state.pollers[entityID] = nil
                    return false
                }
                return true
            }
            if superseded || Task.isCancelled { return [] }
        }
    }

    private static func isOnHTTP(_ presence: Presence?, now: Int64) -> Bool {
        guard let presence else { return false }
        return presence.openPolls > 0 || now < presence.httpUntil
    }

    /// How `entityID` is reachable now.
    public func transport(of entityID: EntityID) -> PeerTransport? {
        let now = self.now
        return withShard(entityID) { state in
            if state.sessions[entityID] != nil { return .websocket }
            return Self.isOnHTTP(state.presence[entityID], now: now) ? .http : nil
        }
    }

    // MARK: Discovery

    /// Every known entity `caller` may reach (not itself), for `GET /peers/discover`; with `only`,
    /// that entity alone (or nothing).
    public func discover(for caller: EntityID, only: EntityID? = nil) -> [PeerPresence] {
        let now = self.now
        var result: [PeerPresence] = []
        let keys: [(key: String, value: Ed25519PublicKey)]
        if let only {
            keys = auth.pinnedKey(of: only).map { [(only.rawValue, $0)] } ?? []
        } else {
            keys = auth.pinnedKeys.sorted(by: { $0.key < $1.key })
        }
        for (name, key) in keys {
            guard let entity = EntityID(name), entity != caller, admission.maySend(caller, to: .entity(entity)) else { continue }
            let (transport, lastSeen): (PeerTransport?, Int64?) = withShard(entity) { state in
                let presence = state.presence[entity]
                if state.sessions[entity] != nil { return (.websocket, now / 1_000) }
                if Self.isOnHTTP(presence, now: now) { return (.http, presence?.openPolls ?? 0 > 0 ? now / 1_000 : presence?.lastSeen) }
                return (nil, presence?.lastSeen)
            }
            result.append(PeerPresence(entityID: entity, publicKey: key, transport: transport, lastSeen: lastSeen))
        }
        return result
    }

    // MARK: Ageing

    /// Drops the messages held longer than `maxAgeMilliseconds` and tells their senders
    /// (`ACK expired`); marks entities whose HTTP fallback lapsed as offline. Run about once a
    /// second by the node.
    public func sweep(maxAgeMilliseconds: Int64, isolation: isolated (any Actor)? = #isolation) async {
        let now = self.now
        var expired: [Mailbox.Reference] = []
        var lapsed: [EntityID] = []
        for shard in shards {
            shard.state.withLock { state in
                for entity in Array(state.mailboxes.keys) {
                    let dropped = state.mailboxes[entity]?.expire(acceptedAtOrBefore: now - maxAgeMilliseconds) ?? []
                    guard !dropped.isEmpty else { continue }
                    expired += dropped
                    if state.mailboxes[entity]?.isEmpty == true { state.mailboxes[entity] = nil }
                }
                for (entity, presence) in state.presence where presence.httpUntil != 0 && presence.openPolls == 0
                    && now >= presence.httpUntil {
                    state.presence[entity]?.httpUntil = 0
                    metrics.sessionClosed(.http)
                    if state.sessions[entity] == nil { lapsed.append(entity) }
                }
                // Bounded: offline entities' records go first, oldest seen first.
                if state.presence.count > Self.maxStoredPresence {
                    let offline = state.presence.filter { state.sessions[$0.key] == nil && !Self.isOnHTTP($0.value, now: now) }
                    for (entity, _) in offline.sorted(by: { $0.value.lastSeen < $1.value.lastSeen })
                        .prefix(state.presence.count - Self.maxStoredPresence) {
                        state.presence[entity] = nil
                    }
                }
            }
        }
        for entity in lapsed { events.peerOffline(entity) }
        guard !expired.isEmpty else { return }
        metrics.expired(count: expired.count)
        var scratch: [UInt8] = []
        for reference in expired {
            let notice = serverEnvelope(
                .ack, to: reference.sender, payload: AckPayload(ackID: reference.messageID, status: .expired).json,
                now: now, scratch: &scratch)
            await notify(notice, to: reference.sender)
        }
    }

    /// A server envelope to `recipient`, signed.
    func serverEnvelope(_ type: EnvelopeType, to recipient: EntityID, payload: JSONObject, now: Int64, scratch: inout [UInt8]) -> [UInt8] {
        let envelope = Envelope(
            messageID: WireUUID.v7(unixMilliseconds: UInt64(max(0, now))), type: type, fromEntity: serverEntityID,
            toEntity: .entity(recipient), timestamp: now / 1_000, payload: payload)
        return envelope.signed(with: serverKey, scratch: &scratch).encoded()
    }

    // MARK: Shutdown

    /// Server shutdown: no new session opens or becomes ready, polls return, and each open
    /// session gets BYE and close 1001. The closes are spread evenly over `period`, so that the
    /// clients do not all reconnect elsewhere in the same instant; returns when every session is
    /// closed.
    public func shutdown(spreadOver period: Duration = .zero) async {
        shuttingDown.store(true, ordering: .sequentiallyConsistent)
        let sessions = shards.flatMap { shard in
            shard.state.withLock { state in
                for poller in state.pollers.values { poller.signal() }
                return Array(state.open.values)
            }
        }
        let step = sessions.count > 1 ? period / sessions.count : .zero
        await withTaskGroup(of: Void.self) { group in
            for (index, session) in sessions.enumerated() {
                let delay = step * index
                group.addTask {
                    if delay > .zero { try? await Task.sleep(for: delay) }
                    await session.goAway()
                }
            }
        }
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1_000 &+ attoseconds / 1_000_000_000_000_000
    }
}
