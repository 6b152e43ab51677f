/// A sans-I/O RFC 6455 endpoint: feed it received bytes, pull events with `next()`, write what
/// `drainOutbound` and the `write…` methods produce.
///
/// Receiving: frames are parsed in place; a masked payload is unmasked inside the input buffer
/// and an unfragmented message is handed out as a slice of it, without a copy. Fragments are
/// reassembled into one reused buffer. Text is validated as UTF-8 frame by frame, so a code
/// point split across fragments is accepted. Limits are checked from each frame header before
/// its payload is buffered.
///
/// Protocol violations end the connection with the close code RFC 6455 assigns: 1002 for
/// framing errors, 1007 for invalid UTF-8, 1009 for size limits (see `WebSocketConfiguration`).
///
/// Sending: the server writes unmasked frames, the client masked ones with a key the caller
/// supplies (this type never generates randomness). Automatic replies — pongs and the echo of
/// a received close — are queued and come out of `drainOutbound`.
public struct WebSocketConnection: Sendable {
    /// Which end of the connection this is; decides the masking rules.
    public enum Role: Sendable, Hashable {
        case server
        case client
    }

    private enum CloseState: Sendable {
        case open
        /// We sent a close frame and wait for the peer's.
        case closeSent
        /// The final event was reported; nothing more is read or sent.
        case closed
    }

    private struct PendingFrame: Sendable {
        var header: WebSocketFrameHeader
        var headerLength: Int
    }

    /// This endpoint's role.
    public let role: Role
    /// The limits in force.
    public let configuration: WebSocketConfiguration

    private var input: [UInt8] = []
    private var readIndex = 0
    private var pendingFrame: PendingFrame?
    /// Opcode of the fragmented message being reassembled, if any.
    private var fragmentedOpcode: WebSocketOpcode?
    private var messageBuffer: [UInt8] = []
    private var messageValidator = UTF8Validator()
    private var closeState: CloseState = .open
    private var finished = false
    private var overflowed = false
    private var eof = false
    private var outboundPong: [UInt8]?
    /// The close frame to send: `.some(nil)` is a close without a status code.
    private var outboundClose: WebSocketCloseCode??

    public init(role: Role, configuration: WebSocketConfiguration = WebSocketConfiguration()) {
        self.role = role
        self.configuration = configuration
    }

    /// Number of bytes held (unparsed input plus a partially reassembled message).
    public var bufferedByteCount: Int { input.count - readIndex + (fragmentedOpcode == nil ? 0 : messageBuffer.count) }

    /// Whether the connection can still send data frames (no close sent or received).
    public var isOpen: Bool { closeState == .open }

    // MARK: Receiving

    /// Appends received bytes. Over `maxBufferedBytes` the bytes are dropped and the next
    /// `next()` fails the connection with 1009.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        guard closeState != .closed, !overflowed else { return }
        if bufferedByteCount + bytes.count > configuration.maxBufferedBytes {
            overflowed = true
            return
        }
        if readIndex == input.count {
            input.removeAll(keepingCapacity: true)
            readIndex = 0
        } else if readIndex >= 4096 && readIndex * 2 >= input.count {
            input.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        input.append(contentsOf: bytes)
    }

    /// Appends received bytes (see ``feed(_:)-(some Collection<UInt8>)``). When everything fed
    /// before has been consumed, the array is taken as it is, without a copy: a caller that hands
    /// over its read buffer and drops it lets the connection unmask in place.
    public mutating func feed(_ bytes: [UInt8]) {
        guard readIndex == input.count, closeState != .closed, !overflowed,
              bufferedByteCount + bytes.count <= configuration.maxBufferedBytes
        else {
            feed(bytes[...])
            return
        }
        input = bytes
        readIndex = 0
    }

    /// Records that the peer closed its sending side.
    public mutating func feedEOF() {
        eof = true
    }

    /// Returns the next event.
    public mutating func next() -> WebSocketEvent {
        if finished { return .finished }
        if closeState == .closed {
            finished = true
            return .finished
        }
        if overflowed { return fail(.messageTooBig) }
        while true {
            let frame: PendingFrame
            if let pendingFrame {
                frame = pendingFrame
            } else {
                let parsed = input.withUnsafeBytes { raw in
                    WebSocketFrameHeader.parse(UnsafeRawBufferPointer(rebasing: raw[readIndex...]))
                }
                switch parsed {
                case .needMoreData:
                    return starved()
                case .invalid(let code):
                    return fail(code)
                case .header(let header, let length):
                    if let violation = check(header) { return fail(violation) }
                    frame = PendingFrame(header: header, headerLength: length)
                    pendingFrame = frame
                }
            }
            let payloadStart = readIndex + frame.headerLength
            let payloadEnd = payloadStart + frame.header.payloadLength
            guard payloadEnd <= input.count else { return starved() }
            pendingFrame = nil
            readIndex = payloadEnd
            if let mask = frame.header.mask {
                input.withUnsafeMutableBytes { raw in
                    mask.apply(to: UnsafeMutableRawBufferPointer(rebasing: raw[payloadStart..<payloadEnd]))
                }
            }
            if let event = process(frame.header, payloadStart..<payloadEnd) { return event }
        }
    }

    /// Checks what the header alone tells against the role, the message state and the limits.
    private func check(_ header: WebSocketFrameHeader) -> WebSocketCloseCode? {
        // Clients mask, servers do not (RFC 6455 §5.1).
        if (header.mask != nil) != (role == .server) { return .protocolError }
        if header.opcode.isControl {
            if !header.fin || header.payloadLength > 125 { return .protocolError }
            return nil
        }
        switch header.opcode {
        case .continuation:
            if fragmentedOpcode == nil { return .protocolError }
        default:
            if fragmentedOpcode != nil { return .protocolError }
        }
        if header.payloadLength > configuration.maxFrameSize { return .messageTooBig }
        let assembled = header.opcode == .continuation ? messageBuffer.count : 0
        if header.payloadLength > configuration.maxMessageSize - assembled { return .messageTooBig }
        return nil
    }

    private mutating func process(_ header: WebSocketFrameHeader, _ range: Range<Int>) -> WebSocketEvent? {
        switch header.opcode {
        case .text, .binary:
            if header.fin {
                if header.opcode == .text, !isValidUTF8(range) { return fail(.invalidPayloadData) }
                let payload = input[range]
                return header.opcode == .text ? .text(payload) : .binary(payload)
            }
            fragmentedOpcode = header.opcode
            messageBuffer.removeAll(keepingCapacity: true)
            messageValidator = UTF8Validator()
            return appendFragment(range, fin: false)
        case .continuation:
            return appendFragment(range, fin: header.fin)
        case .ping:
            if configuration.automaticPong, closeState == .open {
                // Only the latest ping needs an answer (RFC 6455 §5.5.3), so one slot suffices.
                if outboundPong == nil { outboundPong = [] }
                outboundPong!.removeAll(keepingCapacity: true)
                outboundPong!.append(contentsOf: input[range])
            }
            return .ping(input[range])
        case .pong:
            return .pong(input[range])
        case .close:
            return receivedClose(range)
        }
    }

    private mutating func appendFragment(_ range: Range<Int>, fin: Bool) -> WebSocketEvent? {
        if fragmentedOpcode == .text {
            let valid = input.withUnsafeBytes { raw in
                messageValidator.validate(UnsafeRawBufferPointer(rebasing: raw[range]))
            }
            if !valid || (fin && !messageValidator.isAtBoundary) { return fail(.invalidPayloadData) }
        }
        messageBuffer.append(contentsOf: input[range])
        guard fin, let opcode = fragmentedOpcode else { return nil }
        fragmentedOpcode = nil
        let message = messageBuffer[...]
        return opcode == .text ? .text(message) : .binary(message)
    }

    private mutating func receivedClose(_ range: Range<Int>) -> WebSocketEvent {
        var code = WebSocketCloseCode.noStatusReceived
        var reason = ""
        if range.count == 1 { return fail(.protocolError) }
        if range.count >= 2 {
            code = WebSocketCloseCode(rawValue: UInt16(input[range.lowerBound]) << 8 | UInt16(input[range.lowerBound + 1]))
            guard code.isValidOnWire else { return fail(.protocolError) }
            let reasonRange = (range.lowerBound + 2)..<range.upperBound
            guard isValidUTF8(reasonRange) else { return fail(.invalidPayloadData) }
            reason = String(decoding: input[reasonRange], as: UTF8.self)
        }
        if closeState == .open {
            // Echo the peer's status code (RFC 6455 §5.5.1); an empty close is echoed empty.
            outboundClose = .some(code == .noStatusReceived ? nil : code)
        }
        closeState = .closed
        return .close(code: code, reason: reason)
    }

    private func isValidUTF8(_ range: Range<Int>) -> Bool {
        input.withUnsafeBytes { raw in UTF8Validator.isValid(UnsafeRawBufferPointer(rebasing: raw[range])) }
    }

    private mutating func starved() -> WebSocketEvent {
        if readIndex == input.count {
            // Nothing left over: an idle connection keeps no input buffer.
            input = []
            readIndex = 0
        }
        guard eof else { return .needMoreData }
        closeState = .closed
        outboundPong = nil
        return .close(code: .abnormalClosure, reason: "")
    }

    /// _Fail the WebSocket Connection_ (RFC 6455 §7.1.7): queue a close with `code` unless one
    /// was sent already, and stop reading.
    private mutating func fail(_ code: WebSocketCloseCode) -> WebSocketEvent {
        if closeState == .open { outboundClose = .some(code) }
        closeState = .closed
        fragmentedOpcode = nil
        return .protocolError(code)
    }

    /// Records that a close frame was written by `close(code:reason:mask:into:)`.
    mutating func markCloseSent() {
        closeState = .closeSent
        outboundPong = nil
    }

    // MARK: Automatic outbound bytes

    /// Whether automatic replies (pong, close) wait in `drainOutbound`.
    public var hasPendingOutbound: Bool { outboundPong != nil || outboundClose != nil }

    /// Appends the queued automatic frames (server role: unmasked).
    public mutating func drainOutbound(into buffer: inout [UInt8]) {
        precondition(role == .server, "a client must mask: use drainOutbound(into:maskingKey:)")
        drain(into: &buffer) { nil }
    }

    /// Appends the queued automatic frames (client role), calling `maskingKey` for a fresh
    /// key for each frame.
    public mutating func drainOutbound(into buffer: inout [UInt8], maskingKey: () -> WebSocketMask) {
        precondition(role == .client, "a server must not mask: use drainOutbound(into:)")
        drain(into: &buffer) { maskingKey() }
    }

    private mutating func drain(into buffer: inout [UInt8], mask: () -> WebSocketMask?) {
        if let pong = outboundPong {
            WebSocketFrameEncoder.writeFrame(opcode: .pong, payload: pong, mask: mask(), into: &buffer)
            outboundPong = nil
        }
        if let close = outboundClose {
            WebSocketFrameEncoder.writeClose(code: close, mask: mask(), into: &buffer)
            outboundClose = nil
        }
    }
}
