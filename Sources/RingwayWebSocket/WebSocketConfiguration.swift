/// Limits and behaviour of a `WebSocketConnection`.
public struct WebSocketConfiguration: Sendable, Hashable {
    /// Largest frame payload accepted. Over it: close 1009, detected from the header alone.
    public var maxFrameSize: Int
    /// Largest message (all fragments together) accepted. Over it: close 1009, detected from
    /// the header of the frame that would exceed it, before its payload is buffered.
    public var maxMessageSize: Int
    /// Most bytes held by the connection at once (unparsed input plus a partial message).
    /// Feeding past it fails the connection with 1009. Keep it above
    /// `maxFrameSize + maxMessageSize` plus one read, and drain events before feeding more.
    public var maxBufferedBytes: Int
    /// Whether a received ping queues a pong with the same payload (RFC 6455 §5.5.2).
    public var automaticPong: Bool

    public init(
        maxFrameSize: Int = 1 << 20,
        maxMessageSize: Int = 1 << 20,
        maxBufferedBytes: Int = 4 << 20,
        automaticPong: Bool = true
    ) {
        self.maxFrameSize = maxFrameSize
        self.maxMessageSize = maxMessageSize
        self.maxBufferedBytes = maxBufferedBytes
        self.automaticPong = automaticPong
    }
}
