import RingwayCrypto
import RingwayEnvelope
@testable import RingwayServer
import Testing

/// The held-message rules of contract §7.3, without sockets.
struct MailboxTests {
    let alice = EntityID("alice")!
    let bob = EntityID("bob")!

    /// Fixed ids (a v7 id has random bits: each call makes a new one).
    let ids = (0..<4).map { WireUUID.v7(unixMilliseconds: UInt64($0)) }
    func id(_ n: Int) -> WireUUID { ids[n] }

    @Test func boundCountsEveryMessageUntilAcknowledged() {
        var mailbox = Mailbox()
        let result101 = mailbox.accept([1], sender: alice, messageID: id(1), now: 0, handoff: .session(7), capacity: 2)
        #expect(result101)
        let result102 = mailbox.accept([2], sender: alice, messageID: id(2), now: 0, handoff: .none, capacity: 2)
        #expect(result102)
        // Handed out or not, both count: a third is refused.
        let result103 = mailbox.accept([3], sender: alice, messageID: id(3), now: 0, handoff: .none, capacity: 2)
        #expect(!result103)
        let result104 = mailbox.acknowledge(sender: alice, messageID: id(1))
        #expect(result104)
        let result105 = mailbox.accept([3], sender: alice, messageID: id(3), now: 0, handoff: .none, capacity: 2)
        #expect(result105)
    }

    @Test func acknowledgementNamesSenderAndIdAndWorksOnce() {
        var mailbox = Mailbox()
        _ = mailbox.accept([1], sender: alice, messageID: id(1), now: 0, handoff: .none, capacity: 10)
        let result106 = mailbox.acknowledge(sender: bob, messageID: id(1))
        #expect(!result106)
        let result107 = mailbox.acknowledge(sender: alice, messageID: id(1))
        #expect(result107)
        let result108 = mailbox.acknowledge(sender: alice, messageID: id(1))
        #expect(!result108)
        #expect(mailbox.isEmpty)
    }

    @Test func newSessionGetsNoticesOnceAndEveryHeldMessage() {
        var mailbox = Mailbox()
        _ = mailbox.accept([1], sender: alice, messageID: id(1), now: 0, handoff: .session(1), capacity: 10)
        _ = mailbox.accept([2], sender: alice, messageID: id(2), now: 0, handoff: .none, capacity: 10)
        _ = mailbox.addNotice([9], capacity: 10)
        let first = mailbox.takeForSession(2)
        #expect(first.notices == [[9]])
        #expect(first.messages.map(\.bytes) == [[1], [2]])
        let second = mailbox.takeForSession(3)
        #expect(second.notices.isEmpty)
        #expect(second.messages.map(\.bytes) == [[1], [2]])
    }

    @Test func pollGetsWhatNoLiveSessionHoldsAndAgainAfterTheRedeliveryDelay() {
        var mailbox = Mailbox()
        _ = mailbox.accept([1], sender: alice, messageID: id(1), now: 0, handoff: .session(5), capacity: 10)
        _ = mailbox.accept([2], sender: alice, messageID: id(2), now: 0, handoff: .none, capacity: 10)
        let result1 = mailbox.takeForPoll(limit: 10, now: 1_000)
        #expect(result1 == [[2]])
        let result2 = mailbox.takeForPoll(limit: 10, now: 2_000)
        #expect(result2.isEmpty)
        #expect(mailbox.nextPollRedelivery == 1_000 + Mailbox.pollRedeliveryMilliseconds)
        mailbox.sessionEnded(5)
        let result3 = mailbox.takeForPoll(limit: 10, now: 3_000)
        #expect(result3 == [[1]])
        let result4 = mailbox.takeForPoll(limit: 10, now: 1_000 + Mailbox.pollRedeliveryMilliseconds)
        #expect(result4 == [[2]])
    }

    @Test func pollLimitCountsNoticesFirst() {
        var mailbox = Mailbox()
        _ = mailbox.accept([1], sender: alice, messageID: id(1), now: 0, handoff: .none, capacity: 10)
        _ = mailbox.addNotice([8], capacity: 10)
        _ = mailbox.addNotice([9], capacity: 10)
        let result5 = mailbox.takeForPoll(limit: 2, now: 0)
        #expect(result5 == [[8], [9]])
        let result6 = mailbox.takeForPoll(limit: 2, now: 0)
        #expect(result6 == [[1]])
    }

    @Test func noticesPastTheBoundDropTheOldest() {
        var mailbox = Mailbox()
        let result7 = mailbox.addNotice([1], capacity: 2)
        #expect(!result7)
        let result8 = mailbox.addNotice([2], capacity: 2)
        #expect(!result8)
        let result9 = mailbox.addNotice([3], capacity: 2)
        #expect(result9)
        let result10 = mailbox.takeForSession(1)
        #expect(result10.notices == [[2], [3]])
    }

    @Test func expiryRemovesTheOldestFirst() {
        var mailbox = Mailbox()
        _ = mailbox.accept([1], sender: alice, messageID: id(1), now: 100, handoff: .session(1), capacity: 10)
        _ = mailbox.accept([2], sender: bob, messageID: id(2), now: 200, handoff: .none, capacity: 10)
        _ = mailbox.accept([3], sender: alice, messageID: id(3), now: 300, handoff: .none, capacity: 10)
        let result11 = mailbox.expire(acceptedAtOrBefore: 99)
        #expect(result11.isEmpty)
        let result109 = mailbox.expire(acceptedAtOrBefore: 200)
        #expect(result109 == [
            Mailbox.Reference(sender: alice, messageID: id(1)), Mailbox.Reference(sender: bob, messageID: id(2)),
        ])
        #expect(mailbox.messages.count == 1)
    }

    @Test func ackByIdOnlyReleasesWhateverTheSender() {
        var mailbox = Mailbox()
        _ = mailbox.accept([1], sender: bob, messageID: id(1), now: 0, handoff: .none, capacity: 10)
        let result110 = mailbox.acknowledge(messageID: id(1))
        #expect(result110 == Mailbox.Reference(sender: bob, messageID: id(1)))
        let result111 = mailbox.acknowledge(messageID: id(1))
        #expect(result111 == nil)
    }
}
