import Benchmark
import RingwayTLS

/// Moves ciphertext between two in-memory connections until neither has anything to send.
private func pump(_ client: TLSConnection, _ server: TLSConnection, _ wire: inout [UInt8], _ sink: inout [UInt8]) throws {
    while true {
        let up = try move(from: client, to: server, &wire, &sink)
        let down = try move(from: server, to: client, &wire, &sink)
        if !up && !down { return }
    }
}

private func move(from: TLSConnection, to: TLSConnection, _ wire: inout [UInt8], _ sink: inout [UInt8]) throws -> Bool {
    guard from.hasPendingCiphertext else { return false }
    wire.removeAll(keepingCapacity: true)
    from.drainCiphertext(into: &wire)
    try to.feedCiphertext(wire)
    while case .bytes = try to.readPlaintext(into: &sink) {}
    return true
}

private struct Fixture {
    let server: TLSContext
    let client: TLSContext

    init() throws {
        let certificate = try SelfSignedCertificate.generate(notBefore: 1_700_000_000, validitySeconds: 100 * 365 * 86_400)
        server = try TLSContext(configuration: certificate.serverConfiguration)
        client = try TLSContext(
            configuration: .client(trustRoots: .certificates(.pem(certificate.certificatePEM))))
    }

    func establishedPair(_ wire: inout [UInt8], _ sink: inout [UInt8]) throws -> (client: TLSConnection, server: TLSConnection) {
        let client = try TLSConnection(context: self.client, serverName: "localhost")
        let server = try TLSConnection(context: self.server)
        try client.handshake()
        try pump(client, server, &wire, &sink)
        precondition(client.handshakeState == .established && server.handshakeState == .established)
        return (client, server)
    }
}

let benchmarks: @Sendable () -> Void = {
    let fixture = try! Fixture()

    Benchmark(
        "TLS 1.3 handshake (in-memory pair)",
        configuration: .init(metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal], maxDuration: .seconds(5))
    ) { benchmark in
        var wire: [UInt8] = []
        var sink: [UInt8] = []
        wire.reserveCapacity(8192)
        for _ in benchmark.scaledIterations {
            blackHole(try fixture.establishedPair(&wire, &sink))
        }
    }

    // Heap kept by one idle, established server connection: everything the handshake allocated
    // minus what it freed, with the client side freed inside the measured region.
    Benchmark(
        "TLS idle established server connection (heap)",
        configuration: .init(metrics: [.memoryLeakedBytes, .mallocFreeDelta], maxDuration: .seconds(5), maxIterations: 200)
    ) { benchmark in
        var wire: [UInt8] = []
        var sink: [UInt8] = []
        wire.reserveCapacity(8192)
        sink.reserveCapacity(8192)
        var server: TLSConnection?
        benchmark.startMeasurement()
        do {
            let pair = try fixture.establishedPair(&wire, &sink)
            server = pair.server
        }
        benchmark.stopMeasurement()
        blackHole(server)
    }

    Benchmark(
        "TLS 1.3 16 KiB record: write, drain, feed, read",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(5))
    ) { benchmark in
        var wire: [UInt8] = []
        var sink: [UInt8] = []
        let pair = try fixture.establishedPair(&wire, &sink)
        let payload = [UInt8](repeating: 0x5A, count: 16 << 10)
        wire.reserveCapacity(32 << 10)
        sink.reserveCapacity(32 << 10)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try pair.client.writePlaintext(payload)
            wire.removeAll(keepingCapacity: true)
            pair.client.drainCiphertext(into: &wire)
            try pair.server.feedCiphertext(wire)
            sink.removeAll(keepingCapacity: true)
            while case .bytes = try pair.server.readPlaintext(into: &sink) {}
            blackHole(sink.count)
        }
        benchmark.stopMeasurement()
    }
}
