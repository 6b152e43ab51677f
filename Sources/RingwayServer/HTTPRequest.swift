import Logging
import RingwayHTTP
import RingwayRuntime

/// A complete request as a route sees it.
public struct HTTPRequest: Sendable {
    /// The request line and header fields.
    public var head: RequestHead
    /// The whole body (bounded by the route's body limit).
    public var body: [UInt8]

    /// Creates a request.
    public init(head: RequestHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }

    /// The path of the target, still percent-encoded, without the query.
    public var path: Substring { head.path }
}

/// What a route knows about the exchange besides the request.
public struct RequestContext: Sendable {
    /// The id of this request, also in the log metadata (`request_id`) and the `X-Request-Id`
    /// response header.
    public var requestID: String
    /// The client's address, when known.
    public var remoteAddress: SocketAddress?
    /// True on a TLS connection.
    public var isTLS: Bool
    /// A logger carrying the connection and request ids. Never log tokens or query strings.
    public var logger: Logger
    /// The loop the connection runs on; work for this request stays on it.
    public var loop: EventLoop

    /// Creates a context.
    public init(requestID: String, remoteAddress: SocketAddress?, isTLS: Bool, logger: Logger, loop: EventLoop) {
        self.requestID = requestID
        self.remoteAddress = remoteAddress
        self.isTLS = isTLS
        self.logger = logger
        self.loop = loop
    }
}
