import DequeModule
import RingwayCrypto
import RingwayEnvelope

/// The `(sender, message_id)` pairs already handed to the application, bounded: past
/// `capacity` the oldest are forgotten.
struct SeenMessages: Sendable {
    struct Key: Sendable, Hashable {
        var sender: EntityID
        var messageID: WireUUID
    }

    let capacity: Int
    private var keys: Set<Key> = []
    private var order: Deque<Key> = []

    init(capacity: Int) {
        precondition(capacity > 0, "capacity must be positive")
        self.capacity = capacity
    }

    /// Records the pair; false when it was already there.
    mutating func insert(sender: EntityID, messageID: WireUUID) -> Bool {
        let key = Key(sender: sender, messageID: messageID)
        guard keys.insert(key).inserted else { return false }
        order.append(key)
        if order.count > capacity, let oldest = order.popFirst() { keys.remove(oldest) }
        return true
    }
}
