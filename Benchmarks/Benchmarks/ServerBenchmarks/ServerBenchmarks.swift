import Benchmark
import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import RingwayServer

private let start: Int64 = 1_700_000_000_000
/// Distinct pre-signed messages, cycled; twice the replay memory, so an id has been forgotten
/// before it comes round again and every iteration is a fresh, accepted MESSAGE.
private let poolSize = 8_192

/// A session that has said HELLO and got READY.
private func readySession(_ mode: SignatureVerification, clientKey: Ed25519PrivateKey) -> PeerSessionStateMachine {
    let settings = PeerSessionSettings(replayMemory: poolSize / 2, verifySignatures: mode)
    var machine = PeerSessionStateMachine(
        entityID: EntityID("agent-alice")!, entityKey: clientKey.publicKey, tokenExpiresAt: start / 1_000 + 86_400,
        serverEntityID: EntityID("hub")!, serverKey: Ed25519PrivateKey(), sessionID: "s-1", settings: settings, now: start)
    let hello = Envelope(
        messageID: WireUUID.v7(unixMilliseconds: UInt64(start)), type: .hello, fromEntity: EntityID("agent-alice")!,
        toEntity: nil, timestamp: start / 1_000,
        payload: ["protocol_versions": ["1.2"], "capabilities": .object(JSONObject())]
    ).signed(with: clientKey).encoded()
    guard case .ready = hello.withUnsafeBytes({ machine.receivedText($0, now: start) }) else { fatalError("no READY") }
    return machine
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 5,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000
    )

    let clientKey = try! Ed25519PrivateKey(seed: [UInt8](repeating: 7, count: 32))
    let messages: [[UInt8]] = (0..<poolSize).map { index in
        Envelope(
            messageID: WireUUID.v7(unixMilliseconds: UInt64(start), randomA: UInt64(index & 0xFFF), randomB: UInt64(index)),
            type: .message, fromEntity: EntityID("agent-alice")!, toEntity: .entity(EntityID("agent-bob")!),
            timestamp: start / 1_000, payload: ["kind": "chat", "text": "hello, how are you today?", "seq": .number(Double(index))]
        ).signed(with: clientKey).encoded()
    }
    print("MESSAGE: \(messages[0].count) bytes")

    for mode in [SignatureVerification.all, .hello] {
        Benchmark("Session receives a signed MESSAGE (verify_signatures=\(mode.rawValue))") { benchmark in
            var machine = readySession(mode, clientKey: clientKey)
            var next = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let action = messages[next].withUnsafeBytes { machine.receivedText($0, now: start) }
                guard case .routeMessage = action else { fatalError("MESSAGE not accepted: \(action)") }
                blackHole(action)
                next = next == poolSize - 1 ? 0 : next + 1
            }
        }
    }
}
