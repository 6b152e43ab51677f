import RingwayEnvelope
import RingwayRuntime
import RingwayServer
import Testing

/// Admission's decisions with a fake clock: allow-list, per-entity and per-address limits.
struct AdmissionTests {
    let start: Int64 = 1_700_000_000_000
    let alice = EntityID("alice")!
    let bob = EntityID("bob")!

    func address(_ host: String) -> SocketAddress { try! SocketAddress(host: host, port: 40_000) }

    @Test func withoutSettingsEverythingIsAdmitted() {
        let admission = Admission()
        #expect(admission.mayConnect(alice) && admission.maySubscribe(alice))
        #expect(admission.maySend(alice, to: .broadcast))
        for _ in 0..<10_000 {
            #expect(admission.admitMessage(from: alice, to: .entity(bob), byteCount: 1 << 20, now: start) == nil)
        }
        #expect(admission.admitConnection(from: address("10.0.0.1")) == nil)
        #expect(admission.admitHandshake(from: address("10.0.0.1"), now: start) == nil)
    }

    @Test func messageRateRefusesWithRetryAfterThenRecovers() throws {
        let admission = Admission(allowlist: nil, limits: Admission.Limits(messageRate: 2, messageBurst: 3))
        for _ in 0..<3 {
            #expect(admission.admitMessage(from: alice, to: .entity(bob), byteCount: 100, now: start) == nil)
        }
        let refusal = try #require(admission.admitMessage(from: alice, to: .entity(bob), byteCount: 100, now: start))
        #expect(refusal.code == .rateLimited)
        #expect(refusal.retryAfterSeconds == 1)
        // Another sender has its own bucket.
        #expect(admission.admitMessage(from: bob, to: .entity(alice), byteCount: 100, now: start) == nil)
        // Two per second: one token every 500 ms.
        #expect(admission.admitMessage(from: alice, to: .entity(bob), byteCount: 100, now: start + 499) != nil)
        #expect(admission.admitMessage(from: alice, to: .entity(bob), byteCount: 100, now: start + 500) == nil)
    }

    @Test func byteRateCountsEnvelopeBytesAndRetryAfterRoundsUp() throws {
        let admission = Admission(allowlist: nil, limits: Admission.Limits(byteRate: 1_000, byteBurst: 4_000))
        #expect(admission.admitMessage(from: alice, to: .entity(bob), byteCount: 3_500, now: start) == nil)
        // 500 left; 3,000 more takes 2.5 s: Retry-After 3.
        let refusal = try #require(admission.admitMessage(from: alice, to: .entity(bob), byteCount: 3_000, now: start))
        #expect(refusal == AdmissionRefusal(code: .rateLimited, message: refusal.message, retryAfterSeconds: 3))
        // A refused message takes nothing: a smaller one still fits.
        #expect(admission.admitMessage(from: alice, to: .entity(bob), byteCount: 500, now: start) == nil)
    }

    @Test func bothBucketsOrNeither() {
        let admission = Admission(allowlist: nil, limits: Admission.Limits(messageRate: 1, messageBurst: 2, byteRate: 100, byteBurst: 100))
        #expect(admission.admitMessage(from: alice, to: .entity(bob), byteCount: 100, now: start) == nil)
        // The message bucket has one left but the byte bucket is empty: refused, and the message
        // token is not spent.
        #expect(admission.admitMessage(from: alice, to: .entity(bob), byteCount: 100, now: start)?.retryAfterSeconds == 1)
        #expect(admission.admitMessage(from: alice, to: .entity(bob), byteCount: 0, now: start) == nil)
    }

    @Test func rateComesBeforeTheAllowListAndForbiddenMessagesCount() throws {
        let list = Allowlist(rules: [alice: Allowlist.Rule(sendTo: [bob])])
        let admission = Admission(allowlist: list, limits: Admission.Limits(messageRate: 1, messageBurst: 1))
        let carol = Recipient.entity(EntityID("carol")!)
        #expect(admission.admitMessage(from: alice, to: carol, byteCount: 10, now: start)?.code == .forbidden)
        #expect(admission.admitMessage(from: alice, to: carol, byteCount: 10, now: start)?.code == .rateLimited)
        #expect(admission.admitMessage(from: alice, to: .entity(bob), byteCount: 10, now: start + 1_000) == nil)
        #expect(admission.admitMessage(from: alice, to: .broadcast, byteCount: 10, now: start + 2_000)?.code == .forbidden)
        let refusal = try #require(admission.admitMessage(from: bob, to: .entity(alice), byteCount: 10, now: start))
        #expect(refusal.code == .forbidden && refusal.retryAfterSeconds == nil)
        #expect(refusal.response.status.code == 403)
    }

    @Test func connectionsPerAddressAreCountedUntilClosed() throws {
        let admission = Admission(allowlist: nil, limits: Admission.Limits(connectionsPerAddress: 2))
        let one = address("10.0.0.1")
        let sameHostOtherPort = try SocketAddress(host: "10.0.0.1", port: 40_001)
        #expect(admission.admitConnection(from: one) == nil)
        #expect(admission.admitConnection(from: sameHostOtherPort) == nil)
        let refusal = try #require(admission.admitConnection(from: one))
        #expect(refusal.code == .rateLimited && refusal.retryAfterSeconds == 1)
        #expect(admission.admitConnection(from: address("10.0.0.2")) == nil)
        #expect(admission.connectionCount(from: one) == 2)
        admission.connectionClosed(from: one)
        #expect(admission.connectionCount(from: one) == 1)
        #expect(admission.admitConnection(from: one) == nil)
        // Unknown addresses cannot be counted and are not refused.
        #expect(admission.admitConnection(from: nil) == nil)
    }

    @Test func handshakeRateHoldsOneSecondsWorth() throws {
        let admission = Admission(allowlist: nil, limits: Admission.Limits(handshakeRate: 4))
        let one = address("10.0.0.1")
        for _ in 0..<4 { #expect(admission.admitHandshake(from: one, now: start) == nil) }
        let refusal = try #require(admission.admitHandshake(from: one, now: start))
        #expect(refusal.code == .rateLimited && refusal.retryAfterSeconds == 1)
        #expect(refusal.response.status.code == 429)
        #expect(refusal.response.headers.first(name: "Retry-After") == "1")
        #expect(admission.admitHandshake(from: address("10.0.0.2"), now: start) == nil)
        #expect(admission.admitHandshake(from: one, now: start + 250) == nil)
    }

    @Test func idleSendersAreForgotten() {
        // 100,000 senders, one message each; a bucket is full again 1 ms later, so the shards
        // forget it once they hold 4,096 entries: memory follows the active senders.
        let admission = Admission(allowlist: nil, limits: Admission.Limits(messageRate: 1_000, messageBurst: 1_000))
        for index in 0..<100_000 {
            let sender = EntityID("e\(index)")!
            #expect(admission.admitMessage(from: sender, to: .entity(bob), byteCount: 1, now: start + Int64(index / 1_000)) == nil)
        }
        #expect(admission.trackedEntityCount < 16 * 4_096)
        #expect(admission.trackedEntityCount > 0)
    }
}
