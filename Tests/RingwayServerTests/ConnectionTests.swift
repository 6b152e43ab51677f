import RingwayClient
import RingwayHTTP
import RingwayJSON
import RingwayRuntime
import RingwayServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// How a connection carries requests: keep-alive, pipelining, 100-continue, refusals, timeouts,
/// the connection limit and the upgrade seam.
@Suite(.timeLimit(.minutes(1)))
struct ConnectionTests {
    /// Echoes the request body, for body and 100-continue tests.
    static func echoRoute(_ router: inout Router) {
        router.add(.post, "/echo", maxBodyBytes: 1024) { request, _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream"], body: request.body)
        }
    }

    @Test(arguments: [false, true])
    func pipelinedRequestsAreAnsweredInOrderOnOneConnection(tls: Bool) async throws {
        try await withServer(tls: tls) { server in
            let client = try await server.connect()
            // Both requests in one write: the second arrives before the first is answered.
            try await client.send(
                "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
                    + "GET /peers/capabilities HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let first = try #require(try await client.readResponse())
            let second = try #require(try await client.readResponse())
            #expect(first.text == #"{"status":"ok"}"#)
            #expect(second.status == 200)
            #expect(try JSONReader.parse(second.body).objectValue?["auth"] == "ed25519-challenge+jwt")
            #expect(first.header("Connection") == nil)
            #expect(first.header("X-Request-Id") != second.header("X-Request-Id"))
            // Still open for a third.
            #expect(try await client.request(.get, "/healthz").status == 200)
            #expect(server.server.connectionCount == 1)
            await client.close()
        }
    }

    @Test func requestFedByteByByteIsAnswered() async throws {
        try await withServer { server in
            let client = try await server.connect()
            for byte in "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8 {
                try await client.send([byte])
            }
            #expect(try await client.readResponse()?.status == 200)
            await client.close()
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withServer { server in
            let client = try await server.connect()
            let response = try await client.request(.get, "/healthz", headers: ["Connection: close"])
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(try await client.readsEndOfStream())
            await client.close()
        }
    }

    @Test func http10WithoutKeepAliveCloses() async throws {
        try await withServer { server in
            let client = try await server.connect()
            try await client.send("GET /healthz HTTP/1.0\r\n\r\n")
            let response = try #require(try await client.readResponse())
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(try await client.readsEndOfStream())
            await client.close()
        }
    }

    @Test func http10KeepAliveIsConfirmed() async throws {
        try await withServer { server in
            let client = try await server.connect()
            try await client.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let response = try #require(try await client.readResponse())
            #expect(response.header("Connection") == "keep-alive")
            #expect(try await client.request(.get, "/healthz").status == 200)
            await client.close()
        }
    }

    @Test(arguments: [false, true])
    func malformedRequestGets400AndClose(tls: Bool) async throws {
        try await withServer(tls: tls) { server in
            let client = try await server.connect()
            try await client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n")
            let response = try #require(try await client.readResponse())
            #expect(response.status == 400)
            #expect(response.header("Connection") == "close")
            let error = try #require(try JSONReader.parse(response.body).objectValue?["error"]?.objectValue)
            #expect(error["code"] == "MALFORMED")
            #expect(error["message"]?.stringValue?.isEmpty == false)
            #expect(try await client.readsEndOfStream())
            await client.close()
        }
    }

    @Test func smugglingShapeIsRefused() async throws {
        try await withServer(routes: Self.echoRoute) { server in
            let client = try await server.connect()
            try await client.send(
                "POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            let response = try #require(try await client.readResponse(to: .post))
            #expect(response.status == 400)
            #expect(try await client.readsEndOfStream())
            await client.close()
        }
    }

    @Test func oversizedHeadersAreRefusedWithTheirStatus() async throws {
        try await withServer(configure: { $0.httpLimits.maxRequestLineLength = 256 }) { server in
            let client = try await server.connect()
            try await client.send("GET /\(String(repeating: "a", count: 300)) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let response = try #require(try await client.readResponse())
            #expect(response.status == 414)
            #expect(try JSONReader.parse(response.body).objectValue?["error"]?.objectValue?["code"] == "MALFORMED")
            await client.close()
        }
    }

    @Test func bodyOverTheRouteLimitIs413TooLarge() async throws {
        try await withServer(routes: Self.echoRoute) { server in
            let client = try await server.connect()
            let response = try await client.request(.post, "/echo", body: String(repeating: "x", count: 2000))
            #expect(response.status == 413)
            #expect(try JSONReader.parse(response.body).objectValue?["error"]?.objectValue?["code"] == "TOO_LARGE")
            #expect(try await client.readsEndOfStream())
            await client.close()
        }
    }

    @Test func bodyIsDeliveredToTheRoute() async throws {
        try await withServer(routes: Self.echoRoute) { server in
            let client = try await server.connect()
            #expect(try await client.request(.post, "/echo", body: "hello").text == "hello")
            try await client.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            #expect(try await client.readResponse(to: .post)?.text == "abcde")
            await client.close()
        }
    }

    @Test func expectContinueGets100BeforeTheBody() async throws {
        try await withServer(routes: Self.echoRoute) { server in
            let client = try await server.connect()
            try await client.send("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            let interim = try #require(try await client.readResponse(informational: true))
            #expect(interim.status == 100)
            try await client.send("ping")
            let response = try #require(try await client.readResponse(to: .post))
            #expect(response.status == 200)
            #expect(response.text == "ping")
            await client.close()
        }
    }

    @Test func expectContinueOnUnknownPathIsRefusedWithoutWaitingForTheBody() async throws {
        try await withServer { server in
            let client = try await server.connect()
            try await client.send("POST /nowhere HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
            let response = try #require(try await client.readResponse(to: .post))
            #expect(response.status == 404)
            #expect(response.header("Connection") == "close")
            #expect(try await client.readsEndOfStream())
            await client.close()
        }
    }

    @Test func idleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await withServer(configure: { $0.idleTimeout = .milliseconds(200) }) { server in
            let client = try await server.connect()
            // Timed from before the request: the server's idle period starts after its response,
            // so however slowly the client reads, the close cannot come sooner than this.
            let clock = ContinuousClock()
            let started = clock.now
            #expect(try await client.request(.get, "/healthz").status == 200)
            #expect(try await client.readsEndOfStream())
            #expect(clock.now - started >= .milliseconds(200))
            await client.close()
        }
    }

    @Test func incompleteRequestIsClosedAfterTheRequestTimeout() async throws {
        try await withServer(configure: {
            $0.requestTimeout = .milliseconds(200)
            $0.idleTimeout = .seconds(30)
        }) { server in
            let client = try await server.connect()
            try await client.send("GET /healthz HTTP/1.1\r\nHost: loc")
            #expect(try await client.readsEndOfStream())
            await client.close()
        }
    }

    @Test func silentTLSClientIsClosedAfterTheRequestTimeout() async throws {
        try await withServer(tls: true, configure: { $0.requestTimeout = .milliseconds(200) }) { server in
            // A TCP connection that never starts the handshake.
            let client = try await TestClient.connect(to: server.address, on: server.clientLoop)
            #expect(try await client.readsEndOfStream())
            await client.close()
        }
    }

    @Test func connectionsOverTheLimitGet429AndAreClosed() async throws {
        try await withServer(configure: { $0.maxConnections = 1 }) { server in
            let first = try await expectSecondConnectionRefused(server)
            await first.close()
        }
    }

    @Test func shutdownClosesIdleConnectionsAndStopsAccepting() async throws {
        let server = try await TestServer.start()
        let client = try await server.connect()
        #expect(try await client.request(.get, "/healthz").status == 200)
        let clock = ContinuousClock()
        let started = clock.now
        await server.server.shutdown(gracePeriod: .seconds(10))
        // Idle connections do not wait for the grace period.
        #expect(clock.now - started < .seconds(5))
        #expect(try await client.readsEndOfStream())
        await client.close()
        let refused = await #expect(throws: ClientError.self) {
            _ = try await TestClient.connect(to: server.address, on: server.clientLoop)
        }
        #expect(refused?.description.contains("ECONNREFUSED") == true)
        await server.stop()
    }

    @Test func shutdownLetsTheRequestInProgressFinish() async throws {
        let gate = Gate()
        let server = try await TestServer.start(routes: { router in
            router.add(.get, "/slow") { _, _ in
                await gate.arrive()
                await gate.waitForRelease()
                return .json(Array(#"{"slow":true}"#.utf8))
            }
        })
        let client = try await server.connect()
        try await client.send("GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
        await gate.waitForArrival()
        await server.server.beginShutdown()
        await gate.release()
        let response = try #require(try await client.readResponse())
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
        #expect(try await client.readsEndOfStream())
        await server.server.shutdown(gracePeriod: .seconds(20))
        await client.close()
        await server.stop()
    }

    @Test func shutdownClosesWhatIsStillOpenAfterTheGracePeriod() async throws {
        let gate = Gate()
        let server = try await TestServer.start(routes: { router in
            router.add(.get, "/forever") { _, context in
                await gate.arrive()
                try await context.loop.sleep(for: .seconds(3600))
                return .json(Array("{}".utf8))
            }
        })
        let client = try await server.connect()
        try await client.send("GET /forever HTTP/1.1\r\nHost: localhost\r\n\r\n")
        await gate.waitForArrival()
        await server.server.shutdown(gracePeriod: .milliseconds(200))
        #expect(server.server.connectionCount == 0)
        #expect(try await client.readsEndOfStream())
        await client.close()
        await server.stop()
    }

    @Test func upgradeHandsTheConnectionToTheSession() async throws {
        try await withServer(routes: { $0.addUpgrade("/echo-protocol", EchoUpgrader()) }) { server in
            let client = try await server.connect()
            // Without Upgrade the upgrader refuses and the connection stays on HTTP.
            #expect(try await client.request(.get, "/echo-protocol").status == 426)
            // The bytes after the upgrade request reach the session too.
            try await client.send(
                "GET /echo-protocol HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly")
            let switching = try #require(try await client.readResponse())
            #expect(switching.status == 101)
            #expect(switching.header("Upgrade") == "echo")
            #expect(try await client.readRaw(count: 5) == Array("early".utf8))
            try await client.send("later")
            #expect(try await client.readRaw(count: 5) == Array("later".utf8))
            await client.close()
        }
    }

    @Test func upgradeHeaderOnAnOrdinaryRouteIsIgnored() async throws {
        try await withServer { server in
            let client = try await server.connect()
            let response = try await client.request(.get, "/healthz", headers: ["Connection: Upgrade", "Upgrade: websocket"])
            #expect(response.status == 200)
            #expect(try await client.request(.get, "/healthz").status == 200)
            await client.close()
        }
    }
}

/// Accepts `Upgrade: echo` and echoes every byte until the client closes.
struct EchoUpgrader: HTTPUpgrader {
    func upgrade(_ request: HTTPRequest, context: RequestContext) async -> UpgradeDecision {
        guard request.head.isUpgradeRequest, request.head.headers.first(name: "Upgrade") == "echo" else {
            return .refuse(HTTPResponse(status: .upgradeRequired, headers: ["Upgrade": "echo"]))
        }
        return .accept(
            ResponseHead(status: .switchingProtocols, headers: ["Connection": "Upgrade", "Upgrade": "echo"]),
            EchoSession())
    }
}

struct EchoSession: UpgradedSession {
    func run(on stream: UpgradedStream, context: RequestContext, isolation: isolated any Actor) async {
        var buffer: [UInt8] = []
        while (try? await stream.read(into: &buffer)) ?? 0 > 0 {
            do {
                try await stream.send(buffer)
                try await stream.flush()
            } catch {
                return
            }
            buffer.removeAll(keepingCapacity: true)
        }
    }
}

/// Lets a test hold a route handler until it says so.
actor Gate {
    private var arrived = false
    private var released = false
    private var arrivalWaiters: [CheckedContinuation<Void, Never>] = []
    private var releaseWaiters: [CheckedContinuation<Void, Never>] = []

    func arrive() {
        arrived = true
        arrivalWaiters.forEach { $0.resume() }
        arrivalWaiters.removeAll()
    }

    func waitForArrival() async {
        if arrived { return }
        await withCheckedContinuation { arrivalWaiters.append($0) }
    }

    func release() {
        released = true
        releaseWaiters.forEach { $0.resume() }
        releaseWaiters.removeAll()
    }

    func waitForRelease() async {
        if released { return }
        await withCheckedContinuation { releaseWaiters.append($0) }
    }
}
