/// Local misuse when sending: the connection no longer accepts frames.
public struct WebSocketSendError: Error, Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A close frame was already sent or received; RFC 6455 §5.5.1 forbids data after it.
        case closing
    }

    public let kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }
}

extension WebSocketConnection {
    /// Appends a text message as one frame. The bytes must be UTF-8 (not re-checked here).
    /// Pass `mask` exactly when the role is `.client`.
    public mutating func writeText(_ payload: some Collection<UInt8>, mask: WebSocketMask? = nil, into buffer: inout [UInt8]) throws(WebSocketSendError) {
        try writeFrame(opcode: .text, payload: payload, mask: mask, into: &buffer)
    }

    /// Appends a text message as one frame.
    public mutating func writeText(_ text: String, mask: WebSocketMask? = nil, into buffer: inout [UInt8]) throws(WebSocketSendError) {
        try writeFrame(opcode: .text, payload: text.utf8, mask: mask, into: &buffer)
    }

    /// Appends a binary message as one frame.
    public mutating func writeBinary(_ payload: some Collection<UInt8>, mask: WebSocketMask? = nil, into buffer: inout [UInt8]) throws(WebSocketSendError) {
        try writeFrame(opcode: .binary, payload: payload, mask: mask, into: &buffer)
    }

    /// Appends a ping (payload at most 125 bytes).
    public mutating func writePing(_ payload: some Collection<UInt8> = [], mask: WebSocketMask? = nil, into buffer: inout [UInt8]) throws(WebSocketSendError) {
        try writeFrame(opcode: .ping, payload: payload, mask: mask, into: &buffer)
    }

    /// Appends an unsolicited pong (payload at most 125 bytes), usable as a heartbeat.
    public mutating func writePong(_ payload: some Collection<UInt8> = [], mask: WebSocketMask? = nil, into buffer: inout [UInt8]) throws(WebSocketSendError) {
        try writeFrame(opcode: .pong, payload: payload, mask: mask, into: &buffer)
    }

    /// Appends any frame, including fragments (`fin: false`, then `.continuation` frames).
    /// The caller keeps fragments of one message together; control frames may go between them.
    public mutating func writeFrame(
        fin: Bool = true, opcode: WebSocketOpcode, payload: some Collection<UInt8>, mask: WebSocketMask? = nil, into buffer: inout [UInt8]
    ) throws(WebSocketSendError) {
        try checkCanSend(opcode: opcode, mask: mask)
        if payload.withContiguousStorageIfAvailable({ storage in
            WebSocketFrameEncoder.writeFrame(fin: fin, opcode: opcode, payload: storage, mask: mask, into: &buffer)
        }) == nil {
            WebSocketFrameEncoder.writeFrame(fin: fin, opcode: opcode, payload: Array(payload), mask: mask, into: &buffer)
        }
    }

    /// Appends only the header of a frame whose `payloadLength` bytes the caller writes next,
    /// for example an existing message forwarded unchanged with a vectored write. A client
    /// must mask those bytes itself with the same `mask` (`WebSocketMask.apply`).
    public mutating func writeFrameHeader(
        fin: Bool = true, opcode: WebSocketOpcode, payloadLength: Int, mask: WebSocketMask? = nil, into buffer: inout [UInt8]
    ) throws(WebSocketSendError) {
        try checkCanSend(opcode: opcode, mask: mask)
        WebSocketFrameEncoder.writeHeader(fin: fin, opcode: opcode, payloadLength: payloadLength, mask: mask, into: &buffer)
    }

    /// Starts the close handshake: appends a close frame and stops accepting data to send.
    /// Received frames are still reported until the peer's close arrives (`.close`). A queued
    /// automatic pong is dropped, since nothing may follow the close frame. The reason is cut
    /// at a character boundary to fit 123 bytes.
    public mutating func close(
        code: WebSocketCloseCode = .normalClosure, reason: String = "", mask: WebSocketMask? = nil, into buffer: inout [UInt8]
    ) throws(WebSocketSendError) {
        try checkCanSend(opcode: .close, mask: mask)
        WebSocketFrameEncoder.writeClose(code: code, reason: reason, mask: mask, into: &buffer)
        markCloseSent()
    }

    private func checkCanSend(opcode: WebSocketOpcode, mask: WebSocketMask?) throws(WebSocketSendError) {
        precondition((mask != nil) == (role == .client), role == .client ? "a client must mask every frame" : "a server must not mask")
        guard isOpen else { throw WebSocketSendError(.closing) }
    }
}
