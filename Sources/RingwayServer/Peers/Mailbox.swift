import DequeModule
import RingwayCrypto
import RingwayEnvelope

/// Who a held message was last handed to.
enum Handoff: Sendable, Hashable {
    /// Nobody yet (or its session ended): the next session or poll gets it.
    case none
    /// Written to the `/ws/v1/peers` session with this generation.
    case session(UInt64)
    /// Returned by an HTTP poll at this time (Unix ms); handed out again after the redelivery delay.
    case poll(at: Int64)
}

/// The messages held for one recipient until it confirms each with a `received` ACK (contract
/// §7.3), and the server notices (routed ACKs, `expired`) waiting for it. No I/O, no clock: times
/// are Unix milliseconds passed in.
///
/// A message stays from the moment it is accepted until its ACK: handed to a session, it is
/// kept and handed again to the next session (at least once); returned by a poll, it is returned
/// again after ``pollRedeliveryMilliseconds`` unless acknowledged. Each message counts against
/// the bound until then, so a recipient that never acknowledges ends up refusing new messages
/// (`QUEUE_FULL`) instead of growing memory.
struct Mailbox: Sendable {
    struct Message: Sendable {
        var bytes: [UInt8]
        var sender: EntityID
        var messageID: WireUUID
        var acceptedAt: Int64
        var handoff: Handoff
    }

    /// A held message, named.
    struct Reference: Sendable, Hashable {
        var sender: EntityID
        var messageID: WireUUID
    }

    /// Time after which a message returned by a poll, and not acknowledged, is returned again.
    static let pollRedeliveryMilliseconds: Int64 = 30_000

    private(set) var messages: Deque<Message> = []
    /// Server envelopes for this entity (routed ACKs, `expired`), written once and forgotten.
    private(set) var notices: Deque<[UInt8]> = []

    var isEmpty: Bool { messages.isEmpty && notices.isEmpty }

    /// Adds a message handed at once through `handoff`; false when `capacity` messages are held.
    mutating func accept(
        _ bytes: [UInt8], sender: EntityID, messageID: WireUUID, now: Int64, handoff: Handoff, capacity: Int
    ) -> Bool {
        guard messages.count < capacity else { return false }
        messages.append(Message(bytes: bytes, sender: sender, messageID: messageID, acceptedAt: now, handoff: handoff))
        return true
    }

    /// Adds a notice; past `capacity` the oldest is dropped (returned, for the log). Routed
    /// ACKs are delivered at most once (contract §7.3), so dropping one loses no message.
    mutating func addNotice(_ bytes: [UInt8], capacity: Int) -> Bool {
        notices.append(bytes)
        guard notices.count > capacity else { return false }
        notices.removeFirst()
        return true
    }

    /// Puts a notice back at the front (a session could not write it).
    mutating func prependNotice(_ bytes: [UInt8]) {
        notices.prepend(bytes)
    }

    /// Everything for a new session with `generation`: the notices (removed) and every held
    /// message (kept, now handed to that session), oldest first.
    mutating func takeForSession(_ generation: UInt64) -> (notices: [[UInt8]], messages: [Message]) {
        let taken = Array(notices)
        notices.removeAll()
        for index in messages.indices { messages[index].handoff = .session(generation) }
        return (taken, Array(messages))
    }

    /// Up to `limit` envelopes for a poll at `now`: notices first (removed), then messages never
    /// handed out, handed to a session that ended, or returned by a poll longer ago than the
    /// redelivery delay (kept, marked as returned now).
    mutating func takeForPoll(limit: Int, now: Int64) -> [[UInt8]] {
        var result: [[UInt8]] = []
        while result.count < limit, let notice = notices.popFirst() { result.append(notice) }
        guard result.count < limit else { return result }
        for index in messages.indices {
            let eligible: Bool
            switch messages[index].handoff {
            case .none: eligible = true
            case .session: eligible = false
            case .poll(let at): eligible = now - at >= Self.pollRedeliveryMilliseconds
            }
            guard eligible else { continue }
            messages[index].handoff = .poll(at: now)
            result.append(messages[index].bytes)
            if result.count == limit { break }
        }
        return result
    }

    /// The earliest time a message returned by a poll becomes pollable again, if any.
    var nextPollRedelivery: Int64? {
        messages.lazy.compactMap { message -> Int64? in
            if case .poll(let at) = message.handoff { return at + Self.pollRedeliveryMilliseconds }
            return nil
        }.min()
    }

    /// The session with `generation` ended: what it was handed is free for the next poll.
    mutating func sessionEnded(_ generation: UInt64) {
        for index in messages.indices where messages[index].handoff == .session(generation) {
            messages[index].handoff = .none
        }
    }

    /// Removes the message `messageID` from `sender` (the recipient acknowledged it); false when
    /// no such message is held (never sent, or acknowledged already).
    mutating func acknowledge(sender: EntityID, messageID: WireUUID) -> Bool {
        // Acknowledgements usually come in order, so the match is near the front.
        guard let index = messages.firstIndex(where: { $0.messageID == messageID && $0.sender == sender }) else { return false }
        messages.remove(at: index)
        return true
    }

    /// Removes the message `messageID` whatever its sender (`POST /v1/messages/ack` names ids
    /// only); false when none is held.
    mutating func acknowledge(messageID: WireUUID) -> Reference? {
        guard let index = messages.firstIndex(where: { $0.messageID == messageID }) else { return nil }
        let message = messages.remove(at: index)
        return Reference(sender: message.sender, messageID: message.messageID)
    }

    /// Removes the messages accepted at or before `cutoff` (they aged out), oldest first.
    mutating func expire(acceptedAtOrBefore cutoff: Int64) -> [Reference] {
        var expired: [Reference] = []
        // Accepted in time order, so the old ones are at the front; a clock step back may leave
        // a few out of order, and they expire on a later sweep.
        while let first = messages.first, first.acceptedAt <= cutoff {
            expired.append(Reference(sender: first.sender, messageID: first.messageID))
            messages.removeFirst()
        }
        return expired
    }
}
