import RingwayRuntime

/// Where a server is: from a URL such as `wss://127.0.0.1:8443` or `http://localhost:8080`.
///
/// The scheme decides TLS (`wss`/`https`) or plain (`ws`/`http`); which transport is used is
/// negotiated from `/peers/capabilities`. Hosts are numeric addresses or `localhost` (host names
/// are not resolved).
public struct ServerEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// The address connected to.
    public var address: SocketAddress
    /// The host as written in the URL (sent as `Host`, and as the TLS server name).
    public var host: String
    /// Whether to speak TLS.
    public var tls: Bool

    /// An endpoint at `address`, naming the server `host` (for `Host` and TLS).
    public init(address: SocketAddress, host: String, tls: Bool) {
        self.address = address
        self.host = host
        self.tls = tls
    }

    /// Parses `scheme://host[:port][/]`. The default ports are 80 and 443.
    public init(url: String) throws(ClientError) {
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else {
            throw .invalidURL("\(url) has no scheme (ws://, wss://, http://, https://)")
        }
        let scheme = url[..<colon].lowercased()
        switch scheme {
        case "ws", "http": tls = false
        case "wss", "https": tls = true
        default: throw .invalidURL("\(url): the scheme must be ws, wss, http or https")
        }
        var rest = url[url.index(colon, offsetBy: 3)...]
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else { throw .invalidURL("\(url): a server URL has no path") }
            rest = rest[..<slash]
        }
        let hostPart: Substring
        var port: UInt16 = tls ? 443 : 80
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .invalidURL("\(url): unterminated [IPv6] address") }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let parsed = UInt16(after.dropFirst()) else { throw .invalidURL("\(url): bad port") }
                port = parsed
            }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            guard let parsed = UInt16(rest[rest.index(after: colon)...]) else { throw .invalidURL("\(url): bad port") }
            port = parsed
        } else {
            hostPart = rest
        }
        guard !hostPart.isEmpty else { throw .invalidURL("\(url) has no host") }
        do {
            address = try SocketAddress(host: String(hostPart), port: port)
        } catch {
            throw .invalidURL("\(url): \(error)")
        }
        host = String(hostPart)
    }

    public var description: String {
        (tls ? "https://" : "http://") + (address.family == .ipv6 ? "[\(host)]" : host) + ":\(address.port)"
    }

    /// The `Host` header value.
    var hostHeader: String {
        let name = address.family == .ipv6 ? "[\(host)]" : host
        return (tls && address.port == 443) || (!tls && address.port == 80) ? name : "\(name):\(address.port)"
    }
}
