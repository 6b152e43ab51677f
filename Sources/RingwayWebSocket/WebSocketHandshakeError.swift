public import RingwayHTTP

/// A handshake that cannot succeed. On the server side it is the peer's fault and carries the
/// status to answer with; `writeResponse(into:)` writes that answer.
public struct WebSocketHandshakeError: Error, Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        // Server side: problems with the client's upgrade request.
        /// The method is not GET. 400.
        case methodNotGet
        /// The version is not HTTP/1.1. 400.
        case versionNotHTTP11
        /// No `Upgrade: websocket`. 400.
        case missingUpgradeHeader
        /// No `upgrade` token in `Connection`. 400.
        case missingConnectionUpgrade
        /// `Sec-WebSocket-Key` missing, repeated, or not base64 of 16 bytes. 400.
        case invalidKey
        /// `Sec-WebSocket-Version` missing or not 13. 426 with `Sec-WebSocket-Version: 13`.
        case unsupportedVersion
        /// A `Sec-WebSocket-Protocol` element that is not a token. 400.
        case invalidSubprotocol

        // Client side: problems with the server's response.
        /// The response status is not 101.
        case unexpectedStatus(Int)
        /// `Sec-WebSocket-Accept` missing or not the one the key calls for.
        case invalidAccept
        /// The server chose a subprotocol the client did not offer, or more than one.
        case unexpectedSubprotocol
        /// The server named an extension; this client negotiates none.
        case unexpectedExtension
    }

    public let kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// The status a server answers with (400, or 426 for an unsupported version).
    public var status: HTTPStatus {
        kind == .unsupportedVersion ? .upgradeRequired : .badRequest
    }

    /// Appends the refusal response: the status, `Sec-WebSocket-Version: 13` for 426, an
    /// empty body, and `Connection: close`.
    public func writeResponse(into buffer: inout [UInt8]) {
        var headers: HTTPHeaders = ["Connection": "close"]
        if kind == .unsupportedVersion { headers.add(name: "Sec-WebSocket-Version", value: "13") }
        // The head is built from constants, so the writer cannot refuse it.
        try? HTTPWriter.writeResponseHead(ResponseHead(status: status, headers: headers), body: .contentLength(0), into: &buffer)
    }
}
