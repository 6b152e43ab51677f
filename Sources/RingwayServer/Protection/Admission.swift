import RingwayEnvelope
import RingwayRuntime

/// Why an entity, an address or a message was refused by policy or by a rate limit.
public struct AdmissionRefusal: Sendable, Hashable, Error {
    /// `FORBIDDEN` or `RATE_LIMITED`.
    public var code: WireErrorCode
    /// Text for the client.
    public var message: String
    /// For `RATE_LIMITED`: whole seconds after which a retry can succeed (`Retry-After`).
    public var retryAfterSeconds: Int?

    /// Creates a refusal.
    public init(code: WireErrorCode, message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The HTTP answer: the contract's error body with the code's status, and `Retry-After`
    /// when ``retryAfterSeconds`` is set.
    public var response: HTTPResponse {
        AuthFailure(code, message, retryAfterSeconds: retryAfterSeconds).response
    }
}

/// The daemon's protection decisions (contract §7.2 steps 8 and 9, and the limits on connections
/// and handshakes): the allow-list and the rate limits. Shared by every loop.
///
/// Times are Unix milliseconds passed in by the caller. The per-entity and per-address state
/// lives in ``shardCount`` mutex-guarded shards; a shard that grows past ``shardSoftCapacity``
/// entries forgets those whose buckets are full again (and, per address, that have no open
/// connection), so memory follows the active senders, not every sender ever seen.
public final class Admission: Sendable {
    /// Rate limits in force; a rate of 0 turns its limit off.
    public struct Limits: Sendable, Hashable {
        /// Messages per second per entity.
        public var messageRate: Int
        /// Messages per entity in a burst (bucket size).
        public var messageBurst: Int
        /// Envelope bytes per second per entity.
        public var byteRate: Int
        /// Envelope bytes per entity in a burst (bucket size).
        public var byteBurst: Int
        /// Concurrent connections per IP address.
        public var connectionsPerAddress: Int
        /// Authentication requests and upgrades per second per IP address (burst: one second's worth).
        public var handshakeRate: Int

        /// Creates limits; all default to off.
        public init(
            messageRate: Int = 0, messageBurst: Int = 1, byteRate: Int = 0, byteBurst: Int = 1, connectionsPerAddress: Int = 0,
            handshakeRate: Int = 0
        ) {
            self.messageRate = messageRate
            self.messageBurst = max(1, messageBurst)
            self.byteRate = byteRate
            self.byteBurst = max(1, byteBurst)
            self.connectionsPerAddress = connectionsPerAddress
            self.handshakeRate = handshakeRate
        }

        /// The limits of `configuration`.
        public init(configuration: ServerConfiguration) {
            self.init(
                messageRate: configuration.messageRatePerEntity, messageBurst: configuration.messageBurstPerEntity,
                byteRate: configuration.byteRatePerEntity, byteBurst: configuration.byteBurstPerEntity,
                connectionsPerAddress: configuration.maxConnectionsPerIP, handshakeRate: configuration.handshakeRatePerIP)
        }
    }

    private struct SenderBuckets: Sendable {
        var messages: TokenBucket?
        var bytes: TokenBucket?

        func isFull(now: Int64) -> Bool {
            (messages?.isFull(now: now) ?? true) && (bytes?.isFull(now: now) ?? true)
        }
    }

    private struct AddressState: Sendable {
        var connections = 0
        var handshakes: TokenBucket?

        func isIdle(now: Int64) -> Bool {
            connections == 0 && (handshakes?.isFull(now: now) ?? true)
        }
    }

    /// A map with amortized eviction of idle entries.
    private struct Table<Key: Hashable & Sendable, Value: Sendable>: Sendable {
        var entries: [Key: Value] = [:]
        var sweepAt = Admission.shardSoftCapacity

        mutating func sweepIfNeeded(now: Int64, isIdle: (Value) -> Bool) {
            guard entries.count >= sweepAt else { return }
            entries = entries.filter { !isIdle($0.value) }
            // The next sweep waits until the table doubles, so sweeping stays linear overall.
            sweepAt = max(Admission.shardSoftCapacity, entries.count * 2)
        }
    }

    private final class Shard<Key: Hashable & Sendable, Value: Sendable>: Sendable {
        let table = Locked(Table<Key, Value>())
    }

    /// Shards of each table.
    static let shardCount = 16
    /// Entries a shard holds before it forgets the idle ones.
    static let shardSoftCapacity = 4_096

    /// The allow-list; nil allows everything.
    public let allowlist: Allowlist?
    /// The rate limits.
    public let limits: Limits
    private let senders: [Shard<EntityID, SenderBuckets>]
    private let addresses: [Shard<String, AddressState>]

    /// Creates the admission of `configuration` (allow-list file read at start).
    /// - Throws: ``StartupError`` when the allow-list file cannot be read or is invalid.
    public convenience init(configuration: ServerConfiguration) throws(StartupError) {
        var allowlist: Allowlist?
        if let path = configuration.allowlistFile {
            allowlist = try Self.readAllowlist(path)
        }
        self.init(allowlist: allowlist, limits: Limits(configuration: configuration))
    }

    /// Admission with no allow-list and no limits.
    public convenience init() {
        self.init(allowlist: nil, limits: Limits())
    }

    /// Admission with `allowlist` (nil allows everything) and `limits`.
    public init(allowlist: Allowlist?, limits: Limits) {
        self.allowlist = allowlist
        self.limits = limits
        self.senders = (0..<Self.shardCount).map { _ in Shard() }
        self.addresses = (0..<Self.shardCount).map { _ in Shard() }
    }

    /// Reads and checks an allow-list file.
    /// - Throws: ``StartupError`` naming the file and the problem.
    public static func readAllowlist(_ path: String, limits: Allowlist.Limits = Allowlist.Limits()) throws(StartupError) -> Allowlist {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(path, maxBytes: limits.maxFileBytes)
        } catch {
            throw StartupError("cannot read the allow-list file \(path): \(error.reason)")
        }
        do {
            return try Allowlist.decode(bytes, limits: limits)
        } catch {
            throw StartupError("the allow-list file \(path) is invalid: \(error.reason)")
        }
    }

    // MARK: Allow-list

    /// Whether `entity` may authenticate and connect (allow-list).
    public func mayConnect(_ entity: EntityID) -> Bool {
        allowlist?.mayConnect(entity) ?? true
    }

    /// Whether `entity` may subscribe to `/ws/v1/events`.
    public func maySubscribe(_ entity: EntityID) -> Bool {
        allowlist?.maySubscribe(entity) ?? true
    }

    /// Whether `sender` may send to `recipient` (allow-list only, no rate): also filters
    /// `/peers/discover` and decides which subscribers get whose broadcasts.
    public func maySend(_ sender: EntityID, to recipient: Recipient) -> Bool {
        allowlist?.maySend(sender, to: recipient) ?? true
    }

    // MARK: Messages

    /// Step 8 then step 9 for a MESSAGE of `byteCount` bytes: the sender's message and byte
    /// buckets, then the allow-list. Nil admits the message (and takes its tokens).
    ///
    /// The tokens are taken once step 8 passes, so that messages the allow-list refuses count
    /// against the sender's rate too.
    public func admitMessage(from sender: EntityID, to recipient: Recipient, byteCount: Int, now: Int64) -> AdmissionRefusal? {
        if limits.messageRate > 0 || limits.byteRate > 0, let wait = takeTokens(sender, byteCount: byteCount, now: now) {
            return AdmissionRefusal(
                code: .rateLimited, message: "this entity is sending faster than its rate limit",
                retryAfterSeconds: Self.seconds(wait))
        }
        guard maySend(sender, to: recipient) else {
            let what = recipient == .broadcast ? "broadcast" : "send to \(recipient.rawValue)"
            return AdmissionRefusal(code: .forbidden, message: "this entity may not \(what)")
        }
        return nil
    }

    /// Takes one message and `byteCount` bytes from `sender`'s buckets, both or neither; nil
    /// when taken, else the milliseconds until both are available.
    private func takeTokens(_ sender: EntityID, byteCount: Int, now: Int64) -> Int64? {
        let limits = self.limits
        return shard(of: sender, in: senders).table.withLock { table in
            table.sweepIfNeeded(now: now) { $0.isFull(now: now) }
            var buckets = table.entries[sender] ?? SenderBuckets(
                messages: limits.messageRate > 0
                    ? TokenBucket(ratePerSecond: limits.messageRate, burst: limits.messageBurst, now: now) : nil,
                bytes: limits.byteRate > 0 ? TokenBucket(ratePerSecond: limits.byteRate, burst: limits.byteBurst, now: now) : nil)
            buckets.messages?.refill(now: now)
            buckets.bytes?.refill(now: now)
            let wait = max(buckets.messages?.millisecondsUntilAvailable(1) ?? 0,
                           buckets.bytes?.millisecondsUntilAvailable(byteCount) ?? 0)
            if wait == 0 {
                buckets.messages?.take(1)
                buckets.bytes?.take(byteCount)
            }
            table.entries[sender] = buckets
            return wait == 0 ? nil : wait
        }
    }

    /// Entities whose buckets are kept now.
    public var trackedEntityCount: Int {
        senders.reduce(0) { total, shard in total + shard.table.withLock { $0.entries.count } }
    }

    // MARK: Addresses

    /// A new connection from `address`: nil admits it and counts it until
    /// ``connectionClosed(from:)``.
    public func admitConnection(from address: SocketAddress?) -> AdmissionRefusal? {
        let limit = limits.connectionsPerAddress
        guard limit > 0, let address else { return nil }
        let admitted = shard(of: address.host, in: addresses).table.withLock { table in
            var state = table.entries[address.host] ?? AddressState()
            guard state.connections < limit else { return false }
            state.connections += 1
            table.entries[address.host] = state
            return true
        }
        return admitted
            ? nil
            : AdmissionRefusal(code: .rateLimited, message: "too many connections from this address", retryAfterSeconds: 1)
    }

    /// A connection admitted by ``admitConnection(from:)`` closed.
    public func connectionClosed(from address: SocketAddress?) {
        guard limits.connectionsPerAddress > 0, let address else { return }
        shard(of: address.host, in: addresses).table.withLock { table in
            guard var state = table.entries[address.host] else { return }
            state.connections = max(0, state.connections - 1)
            // An address with no connection and no recent handshake is forgotten at once.
            if state.connections == 0 && state.handshakes == nil {
                table.entries[address.host] = nil
            } else {
                table.entries[address.host] = state
            }
        }
    }

    /// Connections counted for `address` now (0 when the limit is off).
    public func connectionCount(from address: SocketAddress) -> Int {
        shard(of: address.host, in: addresses).table.withLock { $0.entries[address.host]?.connections ?? 0 }
    }

    /// An authentication request or WebSocket upgrade from `address` (handshake rate).
    public func admitHandshake(from address: SocketAddress?, now: Int64) -> AdmissionRefusal? {
        let rate = limits.handshakeRate
        guard rate > 0, let address else { return nil }
        let wait: Int64? = shard(of: address.host, in: addresses).table.withLock { table in
            table.sweepIfNeeded(now: now) { $0.isIdle(now: now) }
            var state = table.entries[address.host] ?? AddressState()
            var bucket = state.handshakes ?? TokenBucket(ratePerSecond: rate, burst: rate, now: now)
            let wait = bucket.take(1, now: now)
            state.handshakes = bucket
            table.entries[address.host] = state
            return wait
        }
        guard let wait else { return nil }
        return AdmissionRefusal(
            code: .rateLimited, message: "too many authentication requests from this address",
            retryAfterSeconds: Self.seconds(wait))
    }

    // MARK: Private

    private func shard<Key: Hashable, Value>(of key: Key, in shards: [Shard<Key, Value>]) -> Shard<Key, Value> {
        var hasher = Hasher()
        hasher.combine(key)
        return shards[Int(UInt(bitPattern: hasher.finalize()) % UInt(Self.shardCount))]
    }

    /// Whole seconds for `Retry-After`: rounded up, at least 1.
    private static func seconds(_ milliseconds: Int64) -> Int {
        Int(max(1, (milliseconds + 999) / 1_000))
    }
}
