import Benchmark
import RingwayHTTP
import RingwayWebSocket

/// A browser-like WebSocket upgrade request: about 400 bytes, 10 header fields.
private let upgradeRequest: [UInt8] = Array((
    "GET /ws/v1/peers?entity_id=alice.example&token=eyJhbGciOiJFZERTQSJ9 HTTP/1.1\r\n"
        + "Host: ringway.example.com:8443\r\n"
        + "User-Agent: ringway-client/1.2 (linux; x86_64)\r\n"
        + "Accept: */*\r\n"
        + "Accept-Encoding: gzip, deflate, br\r\n"
        + "Origin: https://app.example.com\r\n"
        + "Sec-WebSocket-Version: 13\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Protocol: ringway.v1.2\r\n"
        + "Connection: keep-alive, Upgrade\r\n"
        + "Upgrade: websocket\r\n"
        + "\r\n"
).utf8)

/// A client-to-server text frame of `size` UTF-8 bytes (mixed ASCII and multi-byte), masked.
private func maskedTextFrame(size: Int) -> [UInt8] {
    let pattern = Array("{\"type\":\"MESSAGE\",\"payload\":{\"text\":\"héllo ✓\"}} ".utf8)
    var payload: [UInt8] = []
    payload.reserveCapacity(size)
    while payload.count < size { payload.append(pattern[payload.count % pattern.count]) }
    // Do not end inside a multi-byte character.
    while String(validating: payload, as: UTF8.self) == nil { payload[payload.count - 1] = UInt8(ascii: " ") }
    var frame: [UInt8] = []
    WebSocketFrameEncoder.writeFrame(opcode: .text, payload: payload, mask: WebSocketMask(0x37, 0xFA, 0x21, 0x3D), into: &frame)
    return frame
}

private func decodeFrames(_ frame: [UInt8], benchmark: Benchmark) {
    var connection = WebSocketConnection(role: .server)
    for _ in benchmark.scaledIterations {
        connection.feed(frame)
        guard case .text(let payload) = connection.next() else { fatalError("expected a text message") }
        blackHole(payload.count)
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        // Each sample runs a thousand iterations on one parser/connection, so the figures
        // are per iteration in the steady state, with setup amortized.
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 10_000
    )

    Benchmark("HTTP parse upgrade request") { benchmark in
        var parser = HTTPRequestParser()
        for _ in benchmark.scaledIterations {
            parser.feed(upgradeRequest)
            guard case .head(let head) = try parser.next() else { fatalError("expected a head") }
            blackHole(head)
            guard try parser.next() == .end, try parser.next() == .upgradePending else { fatalError("expected the end") }
            parser.resume()
        }
    }

    let small = maskedTextFrame(size: 128)
    Benchmark("WS decode+unmask 128 B") { benchmark in
        decodeFrames(small, benchmark: benchmark)
    }

    let large = maskedTextFrame(size: 64 * 1024)
    Benchmark("WS decode+unmask 64 KiB") { benchmark in
        decodeFrames(large, benchmark: benchmark)
    }
}
