/// Encodes frames into a caller-provided buffer. These functions check nothing about the
/// connection's state; `WebSocketConnection` wraps them with those checks.
public enum WebSocketFrameEncoder {
    /// Bytes a frame header takes for `payloadLength` (2, 4 or 10, plus 4 with a mask).
    public static func headerLength(payloadLength: Int, masked: Bool) -> Int {
        let base = payloadLength < 126 ? 2 : payloadLength <= 0xFFFF ? 4 : 10
        return base + (masked ? 4 : 0)
    }

    /// Appends only a frame header, using the shortest length encoding. The caller writes the
    /// `payloadLength` payload bytes after it (masked with `mask` when there is one), for
    /// example straight from an existing message buffer with a vectored write.
    public static func writeHeader(
        fin: Bool = true, opcode: WebSocketOpcode, payloadLength: Int, mask: WebSocketMask?, into buffer: inout [UInt8]
    ) {
        precondition(payloadLength >= 0, "payload length must not be negative")
        precondition(!opcode.isControl || (fin && payloadLength <= 125), "control frames are unfragmented and at most 125 bytes")
        buffer.append((fin ? 0x80 : 0) | opcode.rawValue)
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        if payloadLength < 126 {
            buffer.append(maskBit | UInt8(payloadLength))
        } else if payloadLength <= 0xFFFF {
            buffer.append(maskBit | 126)
            buffer.append(UInt8(truncatingIfNeeded: payloadLength >> 8))
            buffer.append(UInt8(truncatingIfNeeded: payloadLength))
        } else {
            buffer.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) {
                buffer.append(UInt8(truncatingIfNeeded: UInt64(payloadLength) >> UInt64(shift)))
            }
        }
        if let mask {
            buffer.append(mask.bytes.0)
            buffer.append(mask.bytes.1)
            buffer.append(mask.bytes.2)
            buffer.append(mask.bytes.3)
        }
    }

    /// Appends a whole frame: header, then the payload, masked in place when `mask` is given.
    public static func writeFrame(
        fin: Bool = true, opcode: WebSocketOpcode, payload: some Collection<UInt8>, mask: WebSocketMask?, into buffer: inout [UInt8]
    ) {
        writeHeader(fin: fin, opcode: opcode, payloadLength: payload.count, mask: mask, into: &buffer)
        let payloadStart = buffer.count
        buffer.append(contentsOf: payload)
        if let mask {
            buffer.withUnsafeMutableBytes { raw in
                mask.apply(to: UnsafeMutableRawBufferPointer(rebasing: raw[payloadStart...]))
            }
        }
    }

    /// Appends a close frame. `code` `nil` writes an empty payload; the reason is cut at a
    /// character boundary to fit the 125-byte control payload.
    public static func writeClose(code: WebSocketCloseCode?, reason: String = "", mask: WebSocketMask?, into buffer: inout [UInt8]) {
        var payload: [UInt8] = []
        if let code {
            precondition(code.isValidOnWire, "close code \(code) may not be sent")
            payload.reserveCapacity(2 + min(reason.utf8.count, 123))
            payload.append(UInt8(truncatingIfNeeded: code.rawValue >> 8))
            payload.append(UInt8(truncatingIfNeeded: code.rawValue))
            for scalar in reason.unicodeScalars {
                let encoded = String(scalar).utf8
                if payload.count + encoded.count > 125 { break }
                payload.append(contentsOf: encoded)
            }
        }
        writeFrame(opcode: .close, payload: payload, mask: mask, into: &buffer)
    }
}
