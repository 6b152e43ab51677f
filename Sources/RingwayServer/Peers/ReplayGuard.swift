import RingwayCrypto

/// Replay protection for one sender (contract: Session, replay protection): a timestamp outside
/// ±window of server time is refused, and so is a `message_id` already seen inside the window.
///
/// Memory is bounded: at most `capacity` ids are kept, oldest first out. Ids whose timestamp has
/// left the window are dropped first, since the window check already refuses them.
public struct ReplayGuard: Sendable {
    /// Seconds either side of server time a timestamp may be.
    public let windowSeconds: Int64
    /// Most message ids remembered.
    public let capacity: Int
    private var seen: [WireUUID: Int64] = [:]
    private var order: [WireUUID] = []
    private var head = 0

    /// Creates an empty guard.
    public init(windowSeconds: Int64, capacity: Int) {
        precondition(windowSeconds >= 0 && capacity > 0, "replay window and capacity must be positive")
        self.windowSeconds = windowSeconds
        self.capacity = capacity
    }

    /// Ids remembered now.
    public var count: Int { seen.count }

    /// Whether `timestamp` is inside the window around `now` (both Unix seconds).
    public func isFresh(timestamp: Int64, now: Int64) -> Bool {
        timestamp >= now &- windowSeconds && timestamp <= now &+ windowSeconds
    }

    /// Whether `id` was recorded.
    public func hasSeen(_ id: WireUUID) -> Bool { seen[id] != nil }

    /// Records `id` as seen. Call only after the envelope's signature verified.
    public mutating func record(_ id: WireUUID, timestamp: Int64, now: Int64) {
        guard seen[id] == nil else { return }
        evict(now: now)
        seen[id] = timestamp
        order.append(id)
    }

    /// Takes over what `other` remembers (a session replacing an older one of the same sender).
    public mutating func absorb(_ other: ReplayGuard, now: Int64) {
        for index in other.head..<other.order.count {
            let id = other.order[index]
            if let timestamp = other.seen[id], isFresh(timestamp: timestamp, now: now) {
                record(id, timestamp: timestamp, now: now)
            }
        }
    }

    private mutating func evict(now: Int64) {
        while head < order.count {
            let oldest = order[head]
            let stale = seen[oldest].map { !isFresh(timestamp: $0, now: now) } ?? true
            guard stale || seen.count >= capacity else { break }
            seen[oldest] = nil
            head += 1
        }
        if head > 1024, head * 2 > order.count {
            order.removeSubrange(0..<head)
            head = 0
        }
    }
}
