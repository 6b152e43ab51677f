/// A token bucket without a clock: `ratePerSecond` tokens flow in per second up to `burst`, and
/// every call says what time it is (Unix milliseconds).
///
/// Tokens are counted in thousandths, so that a rate of `r` per second is exactly `r`
/// thousandths per millisecond: no floating point, no drift. The bucket starts full.
public struct TokenBucket: Sendable, Hashable {
    /// Tokens added per second.
    public let ratePerSecond: Int
    /// Most tokens held (the largest burst).
    public let burst: Int
    private var milliTokens: Int64
    private var lastRefill: Int64

    /// A full bucket at `now`.
    public init(ratePerSecond: Int, burst: Int, now: Int64) {
        precondition(ratePerSecond > 0 && burst > 0, "a token bucket needs a positive rate and burst")
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.milliTokens = Int64(burst) * 1_000
        self.lastRefill = now
    }

    private var capacity: Int64 { Int64(burst) * 1_000 }

    /// Whole tokens available at the last refill.
    public var available: Int { Int(milliTokens / 1_000) }

    /// Adds what flowed in since the last refill. A clock that goes back adds nothing.
    public mutating func refill(now: Int64) {
        guard now > lastRefill else { return }
        let elapsed = now - lastRefill
        lastRefill = now
        let missing = capacity - milliTokens
        guard missing > 0 else { return }
        let rate = Int64(ratePerSecond)
        // Compared by division first: `rate * elapsed` could overflow after a long idle time.
        if elapsed >= (missing + rate - 1) / rate {
            milliTokens = capacity
        } else {
            milliTokens += rate * elapsed
        }
    }

    /// True when the bucket is full at `now` (it can be forgotten: a new one would be the same).
    public func isFull(now: Int64) -> Bool {
        var copy = self
        copy.refill(now: now)
        return copy.milliTokens >= copy.capacity
    }

    /// Milliseconds from the last refill until `count` tokens are available; 0 when they are.
    /// A count above ``burst`` needs a full bucket.
    public func millisecondsUntilAvailable(_ count: Int) -> Int64 {
        let needed = Int64(min(max(count, 0), burst)) * 1_000
        guard needed > milliTokens else { return 0 }
        let rate = Int64(ratePerSecond)
        return (needed - milliTokens + rate - 1) / rate
    }

    /// Removes `count` tokens (at most ``burst``); they must be available.
    public mutating func take(_ count: Int) {
        let taken = Int64(min(max(count, 0), burst)) * 1_000
        precondition(taken <= milliTokens, "take only what is available")
        milliTokens -= taken
    }

    /// Refills at `now` and takes `count` tokens when available. Returns nil when they were
    /// taken, else the milliseconds until they will be (nothing is taken).
    public mutating func take(_ count: Int, now: Int64) -> Int64? {
        refill(now: now)
        let wait = millisecondsUntilAvailable(count)
        guard wait == 0 else { return wait }
        take(count)
        return nil
    }
}
