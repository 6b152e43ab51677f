/// The head of an HTTP response: status line and header fields.
public struct ResponseHead: Sendable, Hashable {
    /// The protocol version.
    public var version: HTTPVersion
    /// The status code and reason phrase.
    public var status: HTTPStatus
    /// The header fields in the order received.
    public var headers: HTTPHeaders

    public init(version: HTTPVersion = .http1_1, status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders()) {
        self.version = version
        self.status = status
        self.headers = headers
    }

    /// Whether the connection stays open after this response (same rules as requests).
    public var keepAlive: Bool {
        HTTPConnectionSemantics.keepAlive(version: version, headers: headers)
    }
}

enum HTTPConnectionSemantics {
    static func keepAlive(version: HTTPVersion, headers: HTTPHeaders) -> Bool {
        if headers.containsToken("close", inField: "Connection") { return false }
        if version == .http1_1 { return true }
        return headers.containsToken("keep-alive", inField: "Connection")
    }
}
