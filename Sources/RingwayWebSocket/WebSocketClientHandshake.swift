public import RingwayHTTP

/// The client side of the opening handshake (RFC 6455 §4.1): builds the upgrade request and
/// checks the server's 101 response.
public struct WebSocketClientHandshake: Sendable, Hashable {
    /// The `Sec-WebSocket-Key` sent (base64 of the caller's 16 random bytes).
    public let key: String
    /// The request to send.
    public let requestHead: RequestHead
    /// Subprotocols offered, in order of preference.
    public let subprotocols: [String]

    /// Prepares a handshake. `key` must be 16 bytes from a good random source (this module
    /// has no random generator of its own). `target` is the origin-form path and query.
    public init(
        host: String, target: String, key: some Collection<UInt8>, subprotocols: [String] = [], origin: String? = nil,
        additionalHeaders: HTTPHeaders = HTTPHeaders()
    ) {
        precondition(key.count == 16, "Sec-WebSocket-Key is 16 random bytes")
        precondition(subprotocols.allSatisfy(HTTPSyntax.isToken), "subprotocols must be tokens")
        self.key = Base64.encode(key)
        self.subprotocols = subprotocols
        var headers: HTTPHeaders = [
            "Host": host,
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": self.key,
            "Sec-WebSocket-Version": "13",
        ]
        if !subprotocols.isEmpty { headers.add(name: "Sec-WebSocket-Protocol", value: subprotocols.joined(separator: ", ")) }
        if let origin { headers.add(name: "Origin", value: origin) }
        for field in additionalHeaders { headers.add(name: field.name, value: field.value) }
        requestHead = RequestHead(method: .get, target: target, version: .http1_1, headers: headers)
    }

    /// Appends the upgrade request. Fails only for invalid `host`, `target` or extra headers.
    public func writeRequest(into buffer: inout [UInt8]) throws(HTTPWriterError) {
        try HTTPWriter.writeRequestHead(requestHead, body: .none, into: &buffer)
    }

    /// Checks the server's response; returns the subprotocol it chose, if any.
    public func validate(_ response: ResponseHead) throws(WebSocketHandshakeError) -> String? {
        guard response.status.code == 101 else { throw WebSocketHandshakeError(.unexpectedStatus(response.status.code)) }
        guard response.headers.containsToken("websocket", inField: "Upgrade") else {
            throw WebSocketHandshakeError(.missingUpgradeHeader)
        }
        guard response.headers.containsToken("upgrade", inField: "Connection") else {
            throw WebSocketHandshakeError(.missingConnectionUpgrade)
        }
        let accepts = response.headers.values(name: "Sec-WebSocket-Accept")
        guard accepts.count == 1, accepts[0] == WebSocketServerHandshake.acceptValue(forKey: key) else {
            throw WebSocketHandshakeError(.invalidAccept)
        }
        guard response.headers.listElements(name: "Sec-WebSocket-Extensions").isEmpty else {
            throw WebSocketHandshakeError(.unexpectedExtension)
        }
        let chosen = response.headers.listElements(name: "Sec-WebSocket-Protocol")
        guard chosen.count <= 1 else { throw WebSocketHandshakeError(.unexpectedSubprotocol) }
        guard let protocolName = chosen.first.map(String.init) else { return nil }
        guard subprotocols.contains(protocolName) else { throw WebSocketHandshakeError(.unexpectedSubprotocol) }
        return protocolName
    }
}
