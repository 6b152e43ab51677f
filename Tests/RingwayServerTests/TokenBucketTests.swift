import RingwayServer
import Testing

/// The token bucket under a fake clock (milliseconds passed in).
struct TokenBucketTests {
    let start: Int64 = 1_700_000_000_000

    @Test func startsFullAndRefusesBeyondTheBurst() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 3, now: start)
        #expect(bucket.available == 3)
        #expect(bucket.take(1, now: start) == nil)
        #expect(bucket.take(1, now: start) == nil)
        #expect(bucket.take(1, now: start) == nil)
        // 10 per second: one token every 100 ms.
        #expect(bucket.take(1, now: start) == 100)
        #expect(bucket.available == 0)
    }

    @Test func refillsWithTimeAndNeverBeyondTheBurst() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 3, now: start)
        #expect(bucket.take(3, now: start) == nil)
        #expect(bucket.take(1, now: start + 99) == 1)
        #expect(bucket.take(1, now: start + 100) == nil)
        #expect(bucket.take(2, now: start + 250) == 50)
        #expect(bucket.isFull(now: start + 399) == false)
        #expect(bucket.isFull(now: start + 400))
        bucket.refill(now: start + 1_000_000)
        #expect(bucket.available == 3)
    }

    @Test func fractionalRatesAccumulateExactly() {
        // 3 per second is one token every 333.33 ms: no drift over many refills.
        var bucket = TokenBucket(ratePerSecond: 3, burst: 1, now: start)
        #expect(bucket.take(1, now: start) == nil)
        var now = start
        for _ in 0..<333 { now += 1; bucket.refill(now: now) }
        #expect(bucket.take(1, now: now) == 1)
        #expect(bucket.take(1, now: now + 1) == nil)
        #expect(bucket.take(1, now: now + 1) == 334)
    }

    @Test func waitIsForTheWholeCountAndTakesNothing() {
        var bucket = TokenBucket(ratePerSecond: 1_000, burst: 5_000, now: start)
        #expect(bucket.take(4_000, now: start) == nil)
        // 1,000 left; 3,000 needs 2,000 more: two seconds.
        #expect(bucket.take(3_000, now: start) == 2_000)
        #expect(bucket.available == 1_000)
        #expect(bucket.millisecondsUntilAvailable(1_000) == 0)
    }

    @Test func countAboveTheBurstNeedsAFullBucket() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 2, now: start)
        #expect(bucket.take(5, now: start) == nil)
        #expect(bucket.available == 0)
        #expect(bucket.take(5, now: start) == 200)
    }

    @Test func clockGoingBackAddsNothing() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 1, now: start)
        #expect(bucket.take(1, now: start) == nil)
        #expect(bucket.take(1, now: start - 5_000) == 100)
        #expect(bucket.take(1, now: start + 100) == nil)
    }

    @Test func longIdleTimeAndLargeRatesDoNotOverflow() {
        var bucket = TokenBucket(ratePerSecond: Int(Int32.max), burst: Int(Int32.max), now: 0)
        #expect(bucket.take(Int(Int32.max), now: 0) == nil)
        #expect(bucket.take(1, now: Int64.max / 2) == nil)
        #expect(bucket.available == Int(Int32.max) - 1)
    }
}
