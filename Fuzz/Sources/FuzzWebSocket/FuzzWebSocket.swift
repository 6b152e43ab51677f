import FuzzSupport
import RingwayWebSocket

/// The fuzz rule for the server side of a WebSocket connection: any input yields events or a
/// protocol error with a close code, the same whether fed whole, byte by byte, or in uneven
/// pieces, and the automatic outbound bytes agree too. A crash or a disagreement aborts.
func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = input.first else { return 0 }
    let frames = Array(input.dropFirst())
    let role: WebSocketConnection.Role = selector & 1 == 0 ? .server : .client
    // With automatic pongs, how many pongs are sent depends on how the input was split (only
    // the latest ping waiting is answered), so outbound bytes are compared only without them.
    let automaticPong = selector & 2 == 0
    let configuration = WebSocketConfiguration(maxFrameSize: 512, maxMessageSize: 1024, maxBufferedBytes: 1 << 20, automaticPong: automaticPong)
    let whole = outcome(frames, pieces: [frames.count], role: role, configuration: configuration)
    let bytewise = outcome(frames, pieces: Array(repeating: 1, count: frames.count), role: role, configuration: configuration)
    let uneven = outcome(frames, pieces: unevenPieces(frames.count, seed: selector), role: role, configuration: configuration)
    check(whole.events == bytewise.events, "whole vs byte by byte")
    check(whole.events == uneven.events, "whole vs pieces")
    if !automaticPong {
        check(whole.outbound == bytewise.outbound && whole.outbound == uneven.outbound, "outbound bytes differ")
    }
    return 0
}


private struct Outcome {
    var events: [String] = []
    /// Every automatic outbound byte.
    var outbound: [UInt8] = []
}

private func outcome(_ input: [UInt8], pieces: [Int], role: WebSocketConnection.Role, configuration: WebSocketConfiguration) -> Outcome {
    var connection = WebSocketConnection(role: role, configuration: configuration)
    var result = Outcome()
    var offset = 0
    var finished = false
    func drain() {
        loop: while true {
            let event = connection.next()
            switch event {
            case .needMoreData: break loop
            case .finished:
                finished = true
                break loop
            case .text(let bytes):
                // Text events must be valid UTF-8.
                check(String(validating: bytes, as: UTF8.self) != nil, "text event is not UTF-8")
            default: break
            }
            result.events.append("\(event)")
        }
        if role == .server {
            connection.drainOutbound(into: &result.outbound)
        } else {
            connection.drainOutbound(into: &result.outbound) { WebSocketMask(1, 2, 3, 4) }
        }
        // Whatever the state, sending must either work or refuse cleanly.
        var sink: [UInt8] = []
        if role == .server {
            _ = try? connection.writeText("x", into: &sink)
        } else {
            _ = try? connection.writeText("x", mask: WebSocketMask(5, 6, 7, 8), into: &sink)
        }
    }
    for piece in pieces where !finished {
        connection.feed(input[offset..<(offset + piece)])
        offset += piece
        drain()
    }
    if !finished {
        connection.feedEOF()
        drain()
    }
    return result
}
