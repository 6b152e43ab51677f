import RingwayClient
import RingwayRuntime
import Testing

/// The client's pure parts: server URLs and backoff.
struct ClientPartsTests {
    @Test(arguments: [
        ("ws://127.0.0.1:8080", false, "127.0.0.1", UInt16(8080)),
        ("wss://localhost:8443/", true, "localhost", 8443),
        ("https://127.0.0.1", true, "127.0.0.1", 443),
        ("http://[::1]:9000", false, "::1", 9000),
    ])
    func serverURLs(url: String, tls: Bool, host: String, port: UInt16) throws {
        let endpoint = try ServerEndpoint(url: url)
        #expect(endpoint.tls == tls)
        #expect(endpoint.host == host)
        #expect(endpoint.address.port == port)
    }

    @Test(arguments: ["127.0.0.1:80", "ftp://127.0.0.1", "ws://", "ws://127.0.0.1:99999", "ws://127.0.0.1/path", "ws://example.com:80"])
    func badServerURLsAreRefused(url: String) {
        #expect(throws: ClientError.self) { try ServerEndpoint(url: url) }
    }

    @Test func backoffGrowsToItsBoundWithFullJitter() {
        let backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(2), multiplier: 2)
        #expect(backoff.bound(attempt: 1) == .milliseconds(100))
        #expect(backoff.bound(attempt: 2) == .milliseconds(200))
        #expect(backoff.bound(attempt: 5) == .milliseconds(1_600))
        #expect(backoff.bound(attempt: 6) == .seconds(2))
        #expect(backoff.bound(attempt: 1_000) == .seconds(2))
        for attempt in 1...10 {
            let delay = backoff.delay(attempt: attempt)
            #expect(delay >= .zero && delay <= backoff.bound(attempt: attempt))
        }
        // Full jitter spreads the delays over the whole range.
        let delays = Set((0..<200).map { _ in backoff.delay(attempt: 6) })
        #expect(delays.count > 50)
    }
}
