/// The fixed part of a frame (RFC 6455 §5.2): flags, opcode, mask and payload length.
public struct WebSocketFrameHeader: Sendable, Hashable {
    /// Whether this is the final fragment of a message.
    public var fin: Bool
    /// The frame opcode.
    public var opcode: WebSocketOpcode
    /// The masking key, present exactly on client-to-server frames.
    public var mask: WebSocketMask?
    /// The payload length in bytes.
    public var payloadLength: Int

    public init(fin: Bool, opcode: WebSocketOpcode, mask: WebSocketMask?, payloadLength: Int) {
        self.fin = fin
        self.opcode = opcode
        self.mask = mask
        self.payloadLength = payloadLength
    }

    /// Bytes the header occupies on the wire.
    public var encodedLength: Int {
        WebSocketFrameEncoder.headerLength(payloadLength: payloadLength, masked: mask != nil)
    }

    enum ParseResult {
        case needMoreData
        case header(WebSocketFrameHeader, length: Int)
        case invalid(WebSocketCloseCode)
    }

    /// Parses a header from the start of `bytes`, checking only what the header alone can
    /// break: reserved bits (no extension is ever negotiated), reserved opcodes, and a 64-bit
    /// length with its top bit set. Non-minimal length encodings are accepted (RFC 6455 does
    /// not require a receiver to refuse them).
    static func parse(_ bytes: UnsafeRawBufferPointer) -> ParseResult {
        guard bytes.count >= 2 else { return .needMoreData }
        let first = bytes[0]
        let second = bytes[1]
        guard first & 0x70 == 0 else { return .invalid(.protocolError) }
        guard let opcode = WebSocketOpcode(rawValue: first & 0x0F) else { return .invalid(.protocolError) }
        let masked = second & 0x80 != 0
        let shortLength = Int(second & 0x7F)
        let lengthBytes = shortLength == 127 ? 8 : shortLength == 126 ? 2 : 0
        let length = 2 + lengthBytes + (masked ? 4 : 0)
        guard bytes.count >= length else { return .needMoreData }
        var payloadLength = shortLength
        if lengthBytes == 2 {
            payloadLength = Int(bytes[2]) << 8 | Int(bytes[3])
        } else if lengthBytes == 8 {
            guard bytes[2] & 0x80 == 0 else { return .invalid(.protocolError) }
            var value: UInt64 = 0
            for index in 2..<10 { value = value << 8 | UInt64(bytes[index]) }
            payloadLength = Int(value)
        }
        var mask: WebSocketMask?
        if masked {
            let keyStart = 2 + lengthBytes
            mask = WebSocketMask(bytes[keyStart], bytes[keyStart + 1], bytes[keyStart + 2], bytes[keyStart + 3])
        }
        let header = WebSocketFrameHeader(fin: first & 0x80 != 0, opcode: opcode, mask: mask, payloadLength: payloadLength)
        return .header(header, length: length)
    }
}
