/// What a `WebSocketConnection` found in the received bytes.
///
/// Payloads are slices that share storage with the connection's buffers: reading them is
/// free, and keeping one past the next `feed` or `next()` is correct but makes the connection
/// copy its buffer on the next write to it.
public enum WebSocketEvent: Sendable, Hashable {
    /// A complete text message, already validated as UTF-8.
    case text(ArraySlice<UInt8>)
    /// A complete binary message.
    case binary(ArraySlice<UInt8>)
    /// A ping; with `automaticPong` the pong is already queued in the outbound bytes.
    case ping(ArraySlice<UInt8>)
    /// A pong.
    case pong(ArraySlice<UInt8>)
    /// The close handshake finished or the peer went away: the peer's close code and reason
    /// (`1005` for a close frame without a code, `1006` when the input ended without any).
    /// When the peer started the close, the echo is queued in the outbound bytes. Write them,
    /// then close the TCP connection.
    case close(code: WebSocketCloseCode, reason: String)
    /// The peer broke the protocol. A close frame with this code is queued in the outbound
    /// bytes; write them and close the TCP connection without waiting.
    case protocolError(WebSocketCloseCode)
    /// Feed more bytes (or `feedEOF()`) and call `next()` again.
    case needMoreData
    /// Nothing more will come; reported after `.close` or `.protocolError`.
    case finished
}
