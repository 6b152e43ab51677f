#if canImport(Glibc)
import Glibc
#endif

/// A numeric IPv4 or IPv6 socket address. `localhost` is accepted as 127.0.0.1; other host
/// names are not resolved (name resolution blocks and belongs outside the event loop).
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Family: Sendable { case ipv4, ipv6 }

    public let host: String
    public let port: UInt16
    public let family: Family

    public init(host: String, port: UInt16) throws {
        let numeric = host == "localhost" ? "127.0.0.1" : host
        let unbracketed = numeric.hasPrefix("[") && numeric.hasSuffix("]") ? String(numeric.dropFirst().dropLast()) : numeric
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, unbracketed, &v4) == 1 {
            family = .ipv4
        } else if inet_pton(AF_INET6, unbracketed, &v6) == 1 {
            family = .ipv6
        } else {
            throw RuntimeError.invalidAddress("'\(host)' is not a numeric IPv4/IPv6 address")
        }
        self.host = unbracketed
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port`.
    public init(parsing text: String) throws {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw RuntimeError.invalidAddress("'\(text)' is not host:port")
        }
        try self.init(host: String(text[..<colon]), port: port)
    }

    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    var domain: Int32 { family == .ipv4 ? AF_INET : AF_INET6 }

    /// Writes the sockaddr into `storage` (at least `MemoryLayout<sockaddr_in6>.size` bytes).
    func write(to storage: UnsafeMutableRawPointer) -> socklen_t {
        switch family {
        case .ipv4:
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            _ = inet_pton(AF_INET, host, &sin.sin_addr)
            storage.storeBytes(of: sin, as: sockaddr_in.self)
            return socklen_t(MemoryLayout<sockaddr_in>.size)
        case .ipv6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            _ = inet_pton(AF_INET6, host, &sin6.sin6_addr)
            storage.storeBytes(of: sin6, as: sockaddr_in6.self)
            return socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
    }

    static let storageSize = MemoryLayout<sockaddr_in6>.size

    /// Reads the local or peer address of a socket.
    static func of(fd: Int32, peer: Bool) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length)
            }
        }
        guard rc == 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.ss_family) {
        case AF_INET:
            let sin = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self) }
            var addr = sin.sin_addr
            inet_ntop(AF_INET, &addr, &buffer, socklen_t(buffer.count))
            return try? SocketAddress(host: String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self), port: UInt16(bigEndian: sin.sin_port))
        case AF_INET6:
            let sin6 = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self) }
            var addr = sin6.sin6_addr
            inet_ntop(AF_INET6, &addr, &buffer, socklen_t(buffer.count))
            return try? SocketAddress(host: String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self), port: UInt16(bigEndian: sin6.sin6_port))
        default:
            return nil
        }
    }
}
