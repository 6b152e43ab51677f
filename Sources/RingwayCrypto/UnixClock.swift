#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A source of wall-clock time, injected wherever time is needed so that tests can fix it.
public protocol UnixClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func unixMilliseconds() -> UInt64
}

extension UnixClock {
    /// Whole seconds since the Unix epoch, as the contract's time values are.
    public func unixSeconds() -> Int64 { Int64(unixMilliseconds() / 1_000) }
}

/// The system's real-time clock (`CLOCK_REALTIME`).
public struct SystemUnixClock: UnixClock {
    /// Creates the clock.
    public init() {}

    public func unixMilliseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(max(0, now.tv_sec)) * 1_000 + UInt64(max(0, now.tv_nsec)) / 1_000_000
    }
}

/// A clock that reports a fixed, settable time.
public struct FixedUnixClock: UnixClock {
    /// The time this clock reports.
    public var milliseconds: UInt64

    /// Creates a clock stopped at `milliseconds`.
    public init(milliseconds: UInt64) {
        self.milliseconds = milliseconds
    }

    public func unixMilliseconds() -> UInt64 { milliseconds }
}
