import RingwayEnvelope
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's counters and latency histograms, exposed at `GET /metrics` in the Prometheus
/// text format. Every method is safe to call from any loop and costs a few atomic operations.
public final class ServerMetrics: Sendable {
    private let connectionsOpen = Counter()
    private let connectionsTotal = Counter()
    private let sessionsOpen = SessionKind.allCases.map { _ in Counter() }
    private let sessionsTotal = SessionKind.allCases.map { _ in Counter() }
    private let routed = RoutedOutcome.allCases.map { _ in Counter() }
    private let routedBytes = Counter()
    private let refusals: [WireErrorCode: Counter]
    private let expiredTotal = Counter()
    private let broadcastsTotal = Counter()
    private let broadcastWrites = Counter()
    private let serverEvents = ServerEvent.allCases.map { _ in Counter() }
    private let serverEventsDropped = Counter()
    /// Receipt-to-ACK time of routed messages.
    let routeLatency = LatencyHistogram()

    /// Creates empty metrics.
    public init() {
        refusals = Dictionary(uniqueKeysWithValues: WireErrorCode.allCases.map { ($0, Counter()) })
    }

    /// A connection was accepted / closed.
    public func connectionOpened() {
        connectionsOpen.add(1)
        connectionsTotal.add(1)
    }

    public func connectionClosed() {
        connectionsOpen.add(-1)
    }

    /// A session of `kind` (`peers`, `events`, `http`) became ready / ended.
    public func sessionOpened(_ kind: SessionKind) {
        sessionsOpen[kind.index].add(1)
        sessionsTotal[kind.index].add(1)
    }

    public func sessionClosed(_ kind: SessionKind) {
        sessionsOpen[kind.index].add(-1)
    }

    /// A MESSAGE of `bytes` bytes was accepted and routed with `outcome`
    /// (`delivered`, `queued`, `broadcast`), taking `nanoseconds` from receipt to ACK.
    public func messageRouted(_ outcome: RoutedOutcome, bytes: Int, nanoseconds: UInt64) {
        routed[outcome.index].add(1)
        routedBytes.add(bytes)
        routeLatency.record(nanoseconds: nanoseconds)
    }

    /// An envelope was refused with `code`.
    public func refused(_ code: WireErrorCode) {
        refusals[code]?.add(1)
    }

    /// Held messages expired unacknowledged.
    public func expired(count: Int) {
        expiredTotal.add(count)
    }

    /// A broadcast (a MESSAGE to `*`) was written to `subscribers` event-stream subscribers.
    public func broadcastFannedOut(subscribers: Int) {
        broadcastsTotal.add(1)
        broadcastWrites.add(subscribers)
    }

    /// A server event was signed and fanned out to the event-stream subscribers.
    public func serverEventPublished(_ event: ServerEvent) {
        serverEvents[event.index].add(1)
    }

    /// Server events were dropped because too many were waiting to be fanned out.
    public func serverEventsDropped(count: Int) {
        serverEventsDropped.add(count)
    }

    /// Connections open now (from ``connectionOpened()`` and ``connectionClosed()``).
    public var openConnections: Int { connectionsOpen.value }

    /// Sessions of `kind` open now.
    public func openSessions(_ kind: SessionKind) -> Int { sessionsOpen[kind.index].value }

    /// The Prometheus text exposition (`text/plain; version=0.0.4`).
    public func exposition(heldMessages: Int, peerSessions: Int) -> [UInt8] {
        var out = PrometheusWriter()
        out.family("ringway_connections_open", .gauge, "Client connections being served.")
        out.sample("ringway_connections_open", connectionsOpen.value)
        out.family("ringway_connections_total", .counter, "Client connections accepted.")
        out.sample("ringway_connections_total", connectionsTotal.value)

        out.family("ringway_sessions_open", .gauge, "Sessions open by kind (events: /ws/v1/events subscribers).")
        for kind in SessionKind.allCases { out.sample("ringway_sessions_open", ["kind": kind.rawValue], sessionsOpen[kind.index].value) }
        out.family("ringway_sessions_total", .counter, "Sessions opened by kind.")
        for kind in SessionKind.allCases { out.sample("ringway_sessions_total", ["kind": kind.rawValue], sessionsTotal[kind.index].value) }
        out.family("ringway_peer_sessions_ready", .gauge, "Entities with a ready /ws/v1/peers session.")
        out.sample("ringway_peer_sessions_ready", peerSessions)

        out.family("ringway_messages_routed_total", .counter, "MESSAGE envelopes accepted, by outcome.")
        for outcome in RoutedOutcome.allCases {
            out.sample("ringway_messages_routed_total", ["outcome": outcome.rawValue], routed[outcome.index].value)
        }
        out.family("ringway_routed_bytes_total", .counter, "Bytes of MESSAGE envelopes accepted.")
        out.sample("ringway_routed_bytes_total", routedBytes.value)
        routeLatency.write(
            "ringway_message_route_duration_seconds", help: "Time from receipt of a MESSAGE to its ACK.", into: &out)

        out.family("ringway_refusals_total", .counter, "Envelopes and requests refused, by error code.")
        for code in WireErrorCode.allCases { out.sample("ringway_refusals_total", ["code": code.rawValue], refusals[code]?.value ?? 0) }

        out.family("ringway_held_messages", .gauge, "Envelopes held for offline entities.")
        out.sample("ringway_held_messages", heldMessages)
        out.family("ringway_held_messages_expired_total", .counter, "Held envelopes that aged out unacknowledged.")
        out.sample("ringway_held_messages_expired_total", expiredTotal.value)

        out.family("ringway_broadcasts_total", .counter, "Broadcasts fanned out to /ws/v1/events.")
        out.sample("ringway_broadcasts_total", broadcastsTotal.value)
        out.family("ringway_broadcast_writes_total", .counter, "Broadcast copies written to event-stream subscribers.")
        out.sample("ringway_broadcast_writes_total", broadcastWrites.value)
        out.family("ringway_server_events_total", .counter, "Server events (peer online/offline) published.")
        for event in ServerEvent.allCases { out.sample("ringway_server_events_total", ["event": event.rawValue], serverEvents[event.index].value) }
        out.family("ringway_server_events_dropped_total", .counter, "Server events dropped because too many were pending.")
        out.sample("ringway_server_events_dropped_total", serverEventsDropped.value)

        if let resident = Self.residentMemoryBytes() {
            out.family("process_resident_memory_bytes", .gauge, "Resident memory size in bytes.")
            out.sample("process_resident_memory_bytes", resident)
        }
        return out.bytes
    }

    /// The process's resident set size: the second field of `/proc/self/statm` (pages) times the
    /// page size; nil where that file cannot be read.
    static func residentMemoryBytes() -> Int? {
        let descriptor = open("/proc/self/statm", O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let fields = buffer[..<count].split(separator: UInt8(ascii: " "))
        guard fields.count >= 2, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Kinds of sessions.
    public enum SessionKind: String, Sendable, CaseIterable {
        case peers, events, http
    }

    /// What happened to an accepted MESSAGE.
    public enum RoutedOutcome: String, Sendable, CaseIterable {
        case delivered, queued, broadcast
    }

    /// Server events published on `/ws/v1/events`.
    public enum ServerEvent: String, Sendable, CaseIterable {
        case peerOnline = "peer_online"
        case peerOffline = "peer_offline"
    }
}

// Counter positions, by `switch` rather than a search of `allCases` (which allocates).
extension ServerMetrics.SessionKind {
    var index: Int {
        switch self {
        case .peers: 0
        case .events: 1
        case .http: 2
        }
    }
}

extension ServerMetrics.RoutedOutcome {
    var index: Int {
        switch self {
        case .delivered: 0
        case .queued: 1
        case .broadcast: 2
        }
    }
}

extension ServerMetrics.ServerEvent {
    var index: Int {
        switch self {
        case .peerOnline: 0
        case .peerOffline: 1
        }
    }
}

/// One atomic value; a class so that counters can live in arrays and dictionaries.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)

    func add(_ amount: Int) {
        atomic.wrappingAdd(amount, ordering: .relaxed)
    }

    var value: Int { atomic.load(ordering: .relaxed) }
}
