#if canImport(Glibc)
import Glibc
#endif

/// A failed system operation: which operation, and the errno it failed with.
///
/// `description` reads like `recv: ECONNRESET (Connection reset by peer)`.
public struct IOError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The operation that failed, e.g. `accept`, `connect`, `recv`, `send`, `close`.
    public let operation: String
    /// The positive errno value.
    public let errno: Int32

    public init(_ operation: String, errno: Int32) {
        self.operation = operation
        self.errno = errno
    }

    /// Builds an error from a negative io_uring result (`-errno`).
    init(_ operation: String, result: Int32) {
        self.init(operation, errno: -result)
    }

    /// The symbolic errno name (`ECONNRESET`), or `errno N` when unknown.
    public var errnoName: String { Self.name(of: errno) }

    public var description: String {
        "\(operation): \(errnoName) (\(String(cString: strerror(errno))))"
    }

    static func name(of code: Int32) -> String {
        switch code {
        case EPERM: "EPERM"
        case ENOENT: "ENOENT"
        case EINTR: "EINTR"
        case EIO: "EIO"
        case EBADF: "EBADF"
        case EAGAIN: "EAGAIN"
        case ENOMEM: "ENOMEM"
        case EACCES: "EACCES"
        case EFAULT: "EFAULT"
        case EBUSY: "EBUSY"
        case EEXIST: "EEXIST"
        case EINVAL: "EINVAL"
        case ENFILE: "ENFILE"
        case EMFILE: "EMFILE"
        case EPIPE: "EPIPE"
        case ENOSYS: "ENOSYS"
        case ENOBUFS: "ENOBUFS"
        case ENOTCONN: "ENOTCONN"
        case ENOTSOCK: "ENOTSOCK"
        case EADDRINUSE: "EADDRINUSE"
        case EADDRNOTAVAIL: "EADDRNOTAVAIL"
        case ENETUNREACH: "ENETUNREACH"
        case ECONNABORTED: "ECONNABORTED"
        case ECONNRESET: "ECONNRESET"
        case EISCONN: "EISCONN"
        case ETIMEDOUT: "ETIMEDOUT"
        case ECONNREFUSED: "ECONNREFUSED"
        case EHOSTUNREACH: "EHOSTUNREACH"
        case EALREADY: "EALREADY"
        case EINPROGRESS: "EINPROGRESS"
        case ECANCELED: "ECANCELED"
        case ETIME: "ETIME"
        case EOPNOTSUPP: "EOPNOTSUPP"
        default: "errno \(code)"
        }
    }
}

/// Failures of the runtime itself, as opposed to a failed system call.
public enum RuntimeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// io_uring could not be set up; the string says why in one line.
    case ioUringUnavailable(String)
    /// The event loop is shutting down or has shut down; no new operation can start.
    case loopShutdown
    /// The socket or listener was closed (locally) while or before the operation ran.
    case closed
    /// A read is already waiting on this socket; a socket has one reader at a time.
    case concurrentRead
    /// Buffered outbound bytes would exceed the socket's write-buffer limit.
    case writeBufferFull(limit: Int)
    /// A host or address could not be parsed.
    case invalidAddress(String)

    public var description: String {
        switch self {
        case .ioUringUnavailable(let why): "io_uring unavailable: \(why)"
        case .loopShutdown: "the event loop is shut down"
        case .closed: "the socket is closed"
        case .concurrentRead: "another read is already pending on this socket"
        case .writeBufferFull(let limit): "write buffer full (limit \(limit) bytes)"
        case .invalidAddress(let what): "invalid address: \(what)"
        }
    }
}
