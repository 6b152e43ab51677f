import Logging
import RingwayCrypto
import RingwayEnvelope
import Synchronization

/// Where a routed envelope went.
enum RouteOutcome: Sendable, Hashable {
    /// Written to the recipient's live session.
    case delivered
    /// Held for the recipient, who is offline.
    case queued
    /// The recipient's queue is full; nothing was held.
    case queueFull
    /// Neither pinned, in the keys file, nor connected.
    case unknownRecipient
}

/// The live `/ws/v1/peers` sessions (one per entity) and the messages held for offline entities,
/// reachable from every loop.
///
/// The table is sharded by entity over ``shardCount`` mutexes, each held only for dictionary
/// updates, so sessions on different loops rarely contend; delivering to a session is a hop to
/// that session's actor (on its own loop), made after the lock is released.
public final class PeerHub: Sendable {
    struct Held: Sendable {
        var bytes: [UInt8]
        var sender: EntityID
        var messageID: WireUUID
        var isAck: Bool
    }

    private struct State: Sendable {
        var sessions: [EntityID: PeerSession] = [:]
        /// Every open session, ready or not, for shutdown.
        var open: [ObjectIdentifier: PeerSession] = [:]
        var queues: [EntityID: [Held]] = [:]
        var replay: [EntityID: ReplayGuard] = [:]
    }

    private final class Shard: Sendable {
        let state = Mutex(State())
    }

    /// Shards of the table.
    static let shardCount = 16
    /// Most replay memories kept, per shard, for entities that are offline.
    static let maxStoredReplayMemories = 1_024

    /// The settings of every session.
    public let settings: PeerSessionSettings
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
        self.shards = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// Runs `body` on the shard that holds `entityID`.
    private func withShard<Result>(_ entityID: EntityID, _ body: (inout State) -> Result) -> Result {
        var hasher = Hasher()
        hasher.combine(entityID)
        let index = Int(UInt(bitPattern: hasher.finalize()) % UInt(Self.shardCount))
        return shards[index].state.withLock { body(&$0) }
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

    /// Entities with a ready session now.
    public var sessionCount: Int { shards.reduce(0) { total, shard in total + shard.state.withLock { $0.sessions.count } } }

    /// Messages held for `entityID` now.
    public func heldCount(for entityID: EntityID) -> Int { withShard(entityID) { $0.queues[entityID]?.count ?? 0 } }

    /// Wall-clock Unix milliseconds.
    var now: Int64 { Int64(clock.unixMilliseconds()) }

    /// A new session id (a UUIDv7: time-ordered, with 74 random bits).
    func nextSessionID() -> String {
        WireUUID.v7(unixMilliseconds: UInt64(max(0, now))).description
    }

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

    /// Makes `session` the entity's live session. Returns the one it replaces and the envelopes
    /// held for the entity (removed from the queue), or nil when the server is shutting down.
    func register(_ session: PeerSession) -> (replaced: PeerSession?, held: [Held])? {
        withShard(session.entityID) { state in
            guard !shuttingDown.load(ordering: .sequentiallyConsistent) else { return nil }
            let old = state.sessions.updateValue(session, forKey: session.entityID)
            return (old, state.queues.removeValue(forKey: session.entityID) ?? [])
        }
    }

    /// Forgets `session` if it is still the entity's live session, and keeps its replay memory.
    func ended(_ session: PeerSession, replay: ReplayGuard?) {
        // Only the ids still inside the window are kept; computed before taking the lock.
        let compact = replay.map { replay in
            var compact = ReplayGuard(windowSeconds: replay.windowSeconds, capacity: replay.capacity)
            compact.absorb(replay, now: now / 1_000)
            return compact
        }
        withShard(session.entityID) { state in
            state.open[ObjectIdentifier(session)] = nil
            if state.sessions[session.entityID] === session { state.sessions[session.entityID] = nil }
            if let compact, state.sessions[session.entityID] == nil {
                // Bounded: past the cap an arbitrary stored memory is dropped (its sender's next
                // session then starts with a fresh one; the timestamp window still applies).
                if state.replay.count >= Self.maxStoredReplayMemories, state.replay[session.entityID] == nil,
                   let victim = state.replay.keys.first {
                    state.replay[victim] = nil
                }
                state.replay[session.entityID] = compact
            }
        }
    }

    /// Puts back envelopes a new session could not take (it closed while they were delivered).
    func requeue(_ held: [Held], for entityID: EntityID) {
        guard !held.isEmpty else { return }
        withShard(entityID) { state in
            // Kept even past `queueMax`: each was already acknowledged as queued to its sender.
            state.queues[entityID, default: []].insert(contentsOf: held, at: 0)
        }
    }

    /// Routes `bytes` (an envelope, unchanged) to `recipient`: to its live session when it has
    /// one, else into its bounded queue.
    func route(
        _ bytes: [UInt8], to recipient: EntityID, sender: EntityID, messageID: WireUUID, isAck: Bool,
        isolation: isolated (any Actor)? = #isolation
    ) async -> RouteOutcome {
        let known = auth.pinnedKeys[recipient.rawValue] != nil
        let held = Held(bytes: bytes, sender: sender, messageID: messageID, isAck: isAck)
        // A session found here may close before the hop reaches it; then the envelope is queued.
        for _ in 0..<3 {
            enum Step { case deliver(PeerSession), done(RouteOutcome) }
            let step: Step = withShard(recipient) { state in
                if let session = state.sessions[recipient] { return .deliver(session) }
                guard known else { return .done(.unknownRecipient) }
                guard state.queues[recipient, default: []].count < settings.queueMax else { return .done(.queueFull) }
                state.queues[recipient, default: []].append(held)
                return .done(.queued)
            }
            switch step {
            case .done(let outcome):
                return outcome
            case .deliver(let session):
                if await session.deliver(bytes, from: sender, messageID: messageID, isAck: isAck) { return .delivered }
                forget(session)
            }
        }
        // Sessions of this entity keep failing: hold the envelope.
        return withShard(recipient) { state in
            guard state.queues[recipient, default: []].count < settings.queueMax else { return .queueFull }
            state.queues[recipient, default: []].append(held)
            return .queued
        }
    }

    /// Removes `session` from the live table if it is still there (it closed).
    private func forget(_ session: PeerSession) {
        withShard(session.entityID) { state in
            if state.sessions[session.entityID] === session { state.sessions[session.entityID] = nil }
        }
    }

    /// Server shutdown: no new session opens or becomes ready, and each open one gets BYE and
    /// close 1001. The closes are spread evenly over `period`, so that the clients do not all
    /// reconnect elsewhere in the same instant; returns when every session is closed.
    public func shutdown(spreadOver period: Duration = .zero) async {
        shuttingDown.store(true, ordering: .sequentiallyConsistent)
        let sessions = shards.flatMap { shard in shard.state.withLock { Array($0.open.values) } }
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

    /// Envelopes held for offline entities now, by entity (reported at shutdown).
    public var heldCounts: [String: Int] {
        shards.reduce(into: [:]) { counts, shard in
            shard.state.withLock { state in
                for (entity, queue) in state.queues { counts[entity.rawValue] = queue.count }
            }
        }
    }
}
