/// Identifies one submitted operation. It is encoded into an SQE's `user_data` as
/// `generation << 32 | index`, so a completion or cancellation for a slot that has since been
/// reused is recognised and ignored instead of resuming someone else's continuation.
struct OpID: Hashable, Sendable {
    let index: UInt32
    let generation: UInt32

    var userData: UInt64 { UInt64(generation) << 32 | UInt64(index) }

    init(index: UInt32, generation: UInt32) {
        self.index = index
        self.generation = generation
    }

    init(userData: UInt64) {
        self.index = UInt32(truncatingIfNeeded: userData)
        self.generation = UInt32(truncatingIfNeeded: userData >> 32)
    }

    /// Completions of the loop's own wakeup read or message.
    static let wakeUserData: UInt64 = .max
    /// Completions nobody waits for (cancel requests, fire-and-forget closes).
    static let ignoredUserData: UInt64 = .max - 1
}

/// What waits for an operation's completions. Holding the owner here keeps it (and the memory an
/// SQE points into) alive until the kernel's final completion for the operation.
enum OpOwner {
    case free
    /// Reserved by a caller that is about to submit.
    case reserved
    /// A single-shot operation; `storage` (SQE-referenced memory) is freed on completion.
    case oneShot(UnsafeContinuation<Int32, Never>, storage: UnsafeMutableRawPointer?)
    case accept(TCPListener)
    case recv(TCPSocket)
    case send(TCPSocket)
}

struct OpSlot {
    var generation: UInt32 = 0
    var owner: OpOwner = .free
    var cancelRequested = false
}

/// The table of in-flight operations of one loop. Only the loop thread touches it.
struct OpTable {
    private(set) var slots: [OpSlot] = []
    private var freeIndices: [UInt32] = []
    /// Operations submitted and not yet finally completed.
    private(set) var inFlight = 0

    mutating func reserve() -> OpID {
        let index: UInt32
        if let reused = freeIndices.popLast() {
            index = reused
        } else {
            index = UInt32(slots.count)
            slots.append(OpSlot())
        }
        slots[Int(index)].owner = .reserved
        slots[Int(index)].cancelRequested = false
        inFlight += 1
        return OpID(index: index, generation: slots[Int(index)].generation)
    }

    func isLive(_ id: OpID) -> Bool {
        let i = Int(id.index)
        guard i < slots.count, slots[i].generation == id.generation else { return false }
        if case .free = slots[i].owner { return false }
        return true
    }

    subscript(id: OpID) -> OpOwner {
        get { slots[Int(id.index)].owner }
        set { slots[Int(id.index)].owner = newValue }
    }

    /// Marks a cancel as requested; returns false if it already was or the op is gone.
    mutating func markCancelRequested(_ id: OpID) -> Bool {
        guard isLive(id), !slots[Int(id.index)].cancelRequested else { return false }
        slots[Int(id.index)].cancelRequested = true
        return true
    }

    /// Frees a slot after its final completion (or a failed submission) and returns its owner.
    @discardableResult
    mutating func release(_ id: OpID) -> OpOwner {
        let i = Int(id.index)
        let owner = slots[i].owner
        slots[i].owner = .free
        // Skip the generation that would make user_data collide with the reserved tags.
        slots[i].generation &+= 1
        if slots[i].generation == .max { slots[i].generation = 0 }
        freeIndices.append(id.index)
        inFlight -= 1
        return owner
    }

    /// Every live operation, for shutdown.
    func liveIDs() -> [OpID] {
        var ids: [OpID] = []
        for (i, slot) in slots.enumerated() {
            if case .free = slot.owner { continue }
            ids.append(OpID(index: UInt32(i), generation: slot.generation))
        }
        return ids
    }
}
