import RingwayCrypto
import RingwayEnvelope

/// The messages forwarded to one session whose `received` ACK has not been routed back yet,
/// so that each ACK reaches the original sender at most once. Bounded: past `capacity` the
/// oldest entries are forgotten (their late ACKs are then refused).
struct ForwardedMessages: Sendable {
    struct Key: Sendable, Hashable {
        var sender: EntityID
        var messageID: WireUUID
    }

    let capacity: Int
    private var pending: Set<Key> = []
    private var order: [Key] = []
    private var head = 0

    init(capacity: Int) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
    }

    var count: Int { pending.count }

    mutating func insert(sender: EntityID, messageID: WireUUID) {
        let key = Key(sender: sender, messageID: messageID)
        guard pending.insert(key).inserted else { return }
        order.append(key)
        while pending.count > capacity, head < order.count {
            pending.remove(order[head])
            head += 1
        }
        // Entries removed by an ACK stay in `order` until compaction.
        if order.count - head > 2 * capacity || (head > 1024 && head * 2 > order.count) {
            order = order[head...].filter { pending.contains($0) }
            head = 0
        }
    }

    /// Removes the entry; false when it was never there or was removed already.
    mutating func remove(sender: EntityID, messageID: WireUUID) -> Bool {
        pending.remove(Key(sender: sender, messageID: messageID)) != nil
    }
}
