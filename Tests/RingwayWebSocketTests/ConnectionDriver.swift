import RingwayWebSocket
import Testing

/// An event with owned payloads, comparable across runs that split the input differently.
enum Received: Equatable {
    case text(String)
    case binary([UInt8])
    case ping([UInt8])
    case pong([UInt8])
    case close(UInt16, String)
    case protocolError(UInt16)
}

struct Run: Equatable {
    var events: [Received] = []
    /// What the connection queued to send back (pongs, close echo), drained after every feed.
    var outbound: [UInt8] = []
    var finished = false
}

/// Feeds `input` in `chunk`-byte pieces (whole when `nil`), draining events and automatic
/// outbound bytes after each piece. Client-role outbound frames use the mask 01 02 03 04.
func run(
    _ input: [UInt8], role: WebSocketConnection.Role = .server, chunk: Int? = nil, eof: Bool = false,
    configuration: WebSocketConfiguration = WebSocketConfiguration()
) -> Run {
    var connection = WebSocketConnection(role: role, configuration: configuration)
    var result = Run()
    func drain() {
        loop: while true {
            switch connection.next() {
            case .text(let bytes): result.events.append(.text(String(decoding: bytes, as: UTF8.self)))
            case .binary(let bytes): result.events.append(.binary(Array(bytes)))
            case .ping(let bytes): result.events.append(.ping(Array(bytes)))
            case .pong(let bytes): result.events.append(.pong(Array(bytes)))
            case .close(let code, let reason): result.events.append(.close(code.rawValue, reason))
            case .protocolError(let code): result.events.append(.protocolError(code.rawValue))
            case .needMoreData: break loop
            case .finished:
                result.finished = true
                break loop
            }
        }
        if role == .server {
            connection.drainOutbound(into: &result.outbound)
        } else {
            connection.drainOutbound(into: &result.outbound) { WebSocketMask(1, 2, 3, 4) }
        }
    }
    let step = chunk ?? max(input.count, 1)
    var offset = 0
    repeat {
        let end = min(offset + step, input.count)
        connection.feed(input[offset..<end])
        offset = end
        drain()
    } while offset < input.count && !result.finished
    if eof {
        connection.feedEOF()
        drain()
    }
    return result
}

/// Runs whole, byte by byte and in 5-byte pieces; expects the same events and outbound bytes.
func receive(
    _ input: [UInt8], role: WebSocketConnection.Role = .server, eof: Bool = false,
    configuration: WebSocketConfiguration = WebSocketConfiguration(), sourceLocation: SourceLocation = #_sourceLocation
) -> Run {
    let whole = run(input, role: role, eof: eof, configuration: configuration)
    let byteByByte = run(input, role: role, chunk: 1, eof: eof, configuration: configuration)
    let fives = run(input, role: role, chunk: 5, eof: eof, configuration: configuration)
    #expect(whole == byteByByte, "whole vs byte by byte", sourceLocation: sourceLocation)
    #expect(whole == fives, "whole vs 5-byte pieces", sourceLocation: sourceLocation)
    return whole
}

/// A client-to-server frame (masked with `mask`), built by the encoder under test.
func clientFrame(fin: Bool = true, _ opcode: WebSocketOpcode, _ payload: [UInt8], mask: WebSocketMask = WebSocketMask(0x37, 0xFA, 0x21, 0x3D)) -> [UInt8] {
    var buffer: [UInt8] = []
    WebSocketFrameEncoder.writeFrame(fin: fin, opcode: opcode, payload: payload, mask: mask, into: &buffer)
    return buffer
}

/// A server-to-client frame (unmasked).
func serverFrame(fin: Bool = true, _ opcode: WebSocketOpcode, _ payload: [UInt8]) -> [UInt8] {
    var buffer: [UInt8] = []
    WebSocketFrameEncoder.writeFrame(fin: fin, opcode: opcode, payload: payload, mask: nil, into: &buffer)
    return buffer
}

/// A masked frame with raw first byte and 7-bit length, for headers the encoder refuses to write.
func rawClientFrame(_ first: UInt8, _ payload: [UInt8], mask: [UInt8] = [0, 0, 0, 0]) -> [UInt8] {
    precondition(payload.count < 126)
    return [first, 0x80 | UInt8(payload.count)] + mask + zip(payload.indices, payload).map { $1 ^ mask[$0 % 4] }
}

func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

func closePayload(_ code: UInt16, _ reason: String = "") -> [UInt8] {
    [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
}
