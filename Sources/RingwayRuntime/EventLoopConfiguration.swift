/// How an ``EventLoop`` sets up its ring and how its sockets buffer data.
public struct EventLoopConfiguration: Sendable {
    /// How a job enqueued from another thread wakes a loop that sleeps in the kernel.
    public enum Wakeup: String, Sendable {
        /// `IORING_OP_MSG_RING` posted without a source ring where the kernel supports it
        /// (Linux 6.13+), otherwise an eventfd.
        case automatic
        /// A read armed on an eventfd; the other thread writes to it.
        case eventfd
        /// `IORING_OP_MSG_RING` without a source ring; setup fails where unsupported.
        case msgRing
    }

    /// Submission queue entries per ring.
    public var submissionQueueEntries: UInt32 = 1024
    /// Completion queue entries per ring; large so that bursts of multishot completions fit.
    public var completionQueueEntries: UInt32 = 16384
    /// Buffers in each loop's provided-buffer ring (a power of two, at most 32768).
    public var receiveBufferCount: Int = 1024
    /// Size of each provided receive buffer in bytes.
    public var receiveBufferSize: Int = 4096
    /// Received bytes a socket holds for a reader that is not reading; above this the socket stops
    /// receiving (TCP backpressure) until the reader catches up.
    public var maxPendingReadBytes: Int = 256 * 1024
    /// Outbound bytes a socket buffers before ``TCPSocket/enqueue(_:)`` refuses more.
    public var maxBufferedWriteBytes: Int = 1024 * 1024
    /// Accepted connections a listener holds for an `accept()` caller before it pauses accepting.
    public var maxPendingAccepts: Int = 1024
    /// The cross-thread wakeup mechanism.
    public var wakeup: Wakeup = .automatic

    public init() {}
}
