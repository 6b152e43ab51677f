public import RingwayHTTP

/// A client's valid WebSocket upgrade request, ready to be accepted or refused by policy.
public struct WebSocketUpgradeRequest: Sendable, Hashable {
    /// The request head, for the path, query and any other field.
    public let head: RequestHead
    /// The `Sec-WebSocket-Key` value (base64 of 16 bytes).
    public let key: String
    /// The `Origin` field, for an origin policy; `nil` for non-browser clients.
    public let origin: String?
    /// Subprotocols the client offered, in its order of preference.
    public let requestedSubprotocols: [String]
    /// Extensions the client offered (raw list elements). None is ever accepted here.
    public let requestedExtensions: [String]

    /// The first subprotocol of the client's list that `supported` contains, or `nil`.
    public func negotiateSubprotocol(supported: [String]) -> String? {
        requestedSubprotocols.first { supported.contains($0) }
    }
}

/// The server side of the opening handshake (RFC 6455 §4.2).
public enum WebSocketServerHandshake {
    /// The GUID appended to the key before hashing (RFC 6455 §1.3).
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `Sec-WebSocket-Accept` for `key`: base64(SHA-1(key + GUID)).
    public static func acceptValue(forKey key: String) -> String {
        var hasher = SHA1()
        hasher.update(key.utf8)
        hasher.update(guid.utf8)
        return Base64.encode(hasher.finalize())
    }

    /// Validates an upgrade request: GET, HTTP/1.1, `Upgrade: websocket`, a `Connection` with
    /// the `upgrade` token, a `Sec-WebSocket-Key` that is base64 of 16 bytes, and
    /// `Sec-WebSocket-Version: 13`. (`Host` is already required by the HTTP parser.)
    public static func validate(_ head: RequestHead) throws(WebSocketHandshakeError) -> WebSocketUpgradeRequest {
        guard head.method == .get else { throw WebSocketHandshakeError(.methodNotGet) }
        guard head.version == .http1_1 else { throw WebSocketHandshakeError(.versionNotHTTP11) }
        guard head.headers.containsToken("websocket", inField: "Upgrade") else {
            throw WebSocketHandshakeError(.missingUpgradeHeader)
        }
        guard head.headers.containsToken("upgrade", inField: "Connection") else {
            throw WebSocketHandshakeError(.missingConnectionUpgrade)
        }
        let versions = head.headers.values(name: "Sec-WebSocket-Version")
        guard versions.count == 1, versions[0] == "13" else { throw WebSocketHandshakeError(.unsupportedVersion) }
        let keys = head.headers.values(name: "Sec-WebSocket-Key")
        guard keys.count == 1, let decoded = Base64.decode(keys[0]), decoded.count == 16 else {
            throw WebSocketHandshakeError(.invalidKey)
        }
        let subprotocols = head.headers.listElements(name: "Sec-WebSocket-Protocol").map(String.init)
        guard subprotocols.allSatisfy(HTTPSyntax.isToken) else { throw WebSocketHandshakeError(.invalidSubprotocol) }
        return WebSocketUpgradeRequest(
            head: head,
            key: keys[0],
            origin: head.headers.first(name: "Origin"),
            requestedSubprotocols: subprotocols,
            requestedExtensions: head.headers.listElements(name: "Sec-WebSocket-Extensions").map(String.init))
    }

    /// Appends the `101 Switching Protocols` response accepting `request`, with the chosen
    /// `subprotocol` (which must be one the client offered) and any `additionalHeaders`.
    public static func writeAcceptResponse(
        for request: WebSocketUpgradeRequest, subprotocol: String? = nil, additionalHeaders: HTTPHeaders = HTTPHeaders(),
        into buffer: inout [UInt8]
    ) throws(HTTPWriterError) {
        if let subprotocol {
            precondition(request.requestedSubprotocols.contains(subprotocol), "the subprotocol must be one the client offered")
        }
        var headers: HTTPHeaders = [
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Accept": acceptValue(forKey: request.key),
        ]
        if let subprotocol { headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
        for field in additionalHeaders { headers.add(name: field.name, value: field.value) }
        try HTTPWriter.writeResponseHead(ResponseHead(status: .switchingProtocols, headers: headers), body: .none, into: &buffer)
    }
}
