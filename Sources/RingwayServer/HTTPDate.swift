#if canImport(Glibc)
import Glibc
#endif

/// The IMF-fixdate of the `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`), formatted at most
/// once per second per cache.
struct HTTPDateCache {
    private var second: Int = -1
    private(set) var value: String = ""

    /// The date for the current second.
    mutating func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        let current = Int(spec.tv_sec)
        if current != second {
            second = current
            value = Self.format(unixSeconds: current)
        }
        return value
    }

    static func format(unixSeconds: Int) -> String {
        var time = time_t(unixSeconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(1900 + Int(parts.tm_year)) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
