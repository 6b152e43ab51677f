import Foundation
import RingwayCrypto
import RingwayEnvelope
import RingwayServer
import Testing

/// `GET /metrics`: the Prometheus text format 0.0.4, and counters that follow the traffic.
@Suite(.timeLimit(.minutes(1)))
struct MetricsTests {
    /// The samples of an exposition, by `name{labels}`; records an issue for any line that is
    /// neither a comment nor `name{labels} value`.
    func samples(_ text: String) -> [String: Double] {
        let sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (\S+)$/
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") { continue }
            guard let match = line.wholeMatch(of: sample), let value = Double(match.output.3) else {
                Issue.record("not a sample line: \(line)")
                continue
            }
            result[String(match.output.1) + String(match.output.2 ?? "")] = value
        }
        return result
    }

    @Test func expositionParsesAndFollowsTheTraffic() async throws {
        try await withServer(configure: { $0.entityID = "hub" }) { server in
            let client = try await server.connect()
            #expect(try await client.request(.get, "/healthz").status == 200)
            let before = try await client.request(.get, "/metrics")
            #expect(before.status == 200)
            #expect(before.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let first = samples(before.text)
            #expect(first["ringway_connections_open"] == 1)
            #expect((first["ringway_connections_total"] ?? 0) >= 1)
            #expect(first[#"ringway_sessions_open{kind="events"}"#] == 0)
            #expect(first[#"ringway_refusals_total{code="AUTH_FAILED"}"#] == 0)
            // Every family is announced once with HELP and TYPE.
            let types = before.text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
            #expect(Set(types).count == types.count)
            #expect(types.contains("# TYPE ringway_message_route_duration_seconds histogram"))
            #expect((first["process_resident_memory_bytes"] ?? 0) > 1_000_000)

            let carol = try await PeerClient.subscribe(server, entity: "carol")
            let refused = try await PeerClient.upgrade(server, target: "/ws/v1/events?entity_id=dave", entity: "dave", key: Ed25519PrivateKey())
            #expect(refused.0.status == 401)
            let key = Ed25519PrivateKey()
            let message = Envelope(
                messageID: WireUUID.v7(clock: SystemUnixClock()), type: .message, fromEntity: EntityID("alice")!, toEntity: .broadcast,
                timestamp: SystemUnixClock().unixSeconds()
            ).signed(with: key).encoded()
            #expect(await server.peers.events.broadcast(message, from: EntityID("alice")!) == 1)
            _ = try await carol.nextText()

            let after = samples(try await client.request(.get, "/metrics").text)
            #expect(after[#"ringway_sessions_open{kind="events"}"#] == 1)
            #expect(after[#"ringway_sessions_total{kind="events"}"#] == 1)
            #expect((after["ringway_connections_open"] ?? 0) >= 2)
            #expect((after["ringway_connections_total"] ?? 0) > (first["ringway_connections_total"] ?? 0))
            #expect(after[#"ringway_refusals_total{code="AUTH_FAILED"}"#] == 1)
            #expect(after["ringway_broadcasts_total"] == 1)
            #expect(after["ringway_broadcast_writes_total"] == 1)
            await carol.close()
            await client.close()
        }
    }

    @Test func histogramBucketsAreCumulative() throws {
        let metrics = ServerMetrics()
        for nanoseconds: UInt64 in [5_000, 30_000, 30_000, 2_000_000, 20_000_000_000] {
            metrics.messageRouted(.delivered, bytes: 100, nanoseconds: nanoseconds)
        }
        metrics.messageRouted(.broadcast, bytes: 10, nanoseconds: 10_000)
        let text = String(decoding: metrics.exposition(heldMessages: 3, peerSessions: 2), as: UTF8.self)
        let values = samples(text)
        let name = "ringway_message_route_duration_seconds"
        let buckets = text.split(separator: "\n").filter { $0.hasPrefix(name + "_bucket{") }.map { line in
            Double(line.split(separator: " ").last!)!
        }
        #expect(buckets.count == 20)
        #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(values[#"\#(name)_bucket{le="0.00001"}"#] == 2)
        #expect(values[#"\#(name)_bucket{le="0.00005"}"#] == 4)
        #expect(values[#"\#(name)_bucket{le="0.0025"}"#] == 5)
        #expect(values[#"\#(name)_bucket{le="10"}"#] == 5)
        #expect(values[#"\#(name)_bucket{le="+Inf"}"#] == 6)
        #expect(values["\(name)_count"] == 6)
        #expect(abs((values["\(name)_sum"] ?? 0) - 20.002075) < 1e-9)
        #expect(values[#"ringway_messages_routed_total{outcome="delivered"}"#] == 5)
        #expect(values[#"ringway_messages_routed_total{outcome="broadcast"}"#] == 1)
        #expect(values["ringway_routed_bytes_total"] == 510)
        #expect(values["ringway_held_messages"] == 3)
        #expect(values["ringway_peer_sessions_ready"] == 2)
    }

    @Test func refusalsAndSessionsAreCountedByLabel() {
        let metrics = ServerMetrics()
        metrics.refused(.replay)
        metrics.refused(.replay)
        metrics.sessionOpened(.peers)
        metrics.sessionOpened(.peers)
        metrics.sessionClosed(.peers)
        metrics.expired(count: 4)
        let values = samples(String(decoding: metrics.exposition(heldMessages: 0, peerSessions: 0), as: UTF8.self))
        #expect(values[#"ringway_refusals_total{code="REPLAY"}"#] == 2)
        #expect(values[#"ringway_refusals_total{code="FORBIDDEN"}"#] == 0)
        #expect(values[#"ringway_sessions_open{kind="peers"}"#] == 1)
        #expect(values[#"ringway_sessions_total{kind="peers"}"#] == 2)
        #expect(values["ringway_held_messages_expired_total"] == 4)
    }
}
