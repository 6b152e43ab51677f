import Benchmark
import Foundation
import RingwayCrypto
import RingwayEnvelope
import RingwayJSON

/// A typical MESSAGE: short ids, a small payload. Its canonical signing input is about 200 bytes.
private func sampleEnvelope() -> Envelope {
    Envelope(
        messageID: WireUUID.v7(unixMilliseconds: 1_700_000_000_000, randomA: 0x123, randomB: 0x0456_789A_BCDE_F012),
        type: .message,
        fromEntity: EntityID("agent-alice")!,
        toEntity: .entity(EntityID("agent-bob")!),
        timestamp: 1_700_000_000,
        payload: ["kind": "chat", "text": "hello, how are you today?", "seq": 42]
    )
}

let benchmarks: @Sendable () -> Void = {
    // 1,000 operations per sample: the figures (marked * in the output) are per operation, and the
    // harness's own allocations per sample no longer hide the few that an operation makes.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 5,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    let key = try! Ed25519PrivateKey(seed: [UInt8](repeating: 42, count: 32))
    let unsigned = sampleEnvelope()
    let signed = unsigned.signed(with: key)
    let bytes = signed.encoded()
    let data = Data(bytes)
    let decoder = EnvelopeDecoder()
    let scanner = EnvelopeScanner()
    print("sample envelope: \(bytes.count) bytes; canonical signing input: \(unsigned.signingInput.count) bytes")

    Benchmark("Envelope decode") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(bytes.withUnsafeBytes { try? decoder.decode($0) })
        }
    }

    Benchmark("Envelope fast-path scan") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(bytes.withUnsafeBytes { try? scanner.scan($0) })
        }
    }

    Benchmark("Foundation JSONSerialization decode") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? JSONSerialization.jsonObject(with: data))
        }
    }

    Benchmark("Canonical JSON + Ed25519 sign 200 B envelope") { benchmark in
        var scratch: [UInt8] = []
        scratch.reserveCapacity(512)
        for _ in benchmark.scaledIterations {
            blackHole(unsigned.signed(with: key, scratch: &scratch))
        }
    }

    Benchmark("Ed25519 verify 200 B envelope") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(bytes.withUnsafeBytes { try? EnvelopeVerifier.verify($0, publicKey: key.publicKey) })
        }
    }
}
