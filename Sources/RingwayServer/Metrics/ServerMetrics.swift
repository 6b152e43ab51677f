import RingwayEnvelope

/// The daemon's counters and latency histograms, exposed at `GET /metrics` in the Prometheus
/// text format. Every method is safe to call from any loop and costs a few atomic operations.
public final class ServerMetrics: Sendable {
    /// Creates empty metrics.
    public init() {}

    /// A connection was accepted / closed.
    public func connectionOpened() {}
    public func connectionClosed() {}

    /// A session of `kind` (`peers`, `events`, `http`) became ready / ended.
    public func sessionOpened(_ kind: SessionKind) {}
    public func sessionClosed(_ kind: SessionKind) {}

    /// A MESSAGE of `bytes` bytes was accepted and routed with `outcome`
    /// (`delivered`, `queued`, `broadcast`), taking `nanoseconds` from receipt to ACK.
    public func messageRouted(_ outcome: RoutedOutcome, bytes: Int, nanoseconds: UInt64) {}

    /// An envelope was refused with `code`.
    public func refused(_ code: WireErrorCode) {}

    /// Held messages expired unacknowledged.
    public func expired(count: Int) {}

    /// The Prometheus text exposition (`text/plain; version=0.0.4`).
    public func exposition(heldMessages: Int, peerSessions: Int) -> [UInt8] { [] }

    /// Kinds of sessions.
    public enum SessionKind: String, Sendable, CaseIterable {
        case peers, events, http
    }

    /// What happened to an accepted MESSAGE.
    public enum RoutedOutcome: String, Sendable, CaseIterable {
        case delivered, queued, broadcast
    }
}
