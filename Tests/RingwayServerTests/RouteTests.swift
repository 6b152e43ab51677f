import RingwayCrypto
import RingwayHTTP
import RingwayJSON
import RingwayServer
import RingwayTLS
import Testing

/// The routes of this slice, over plain HTTP and over TLS with the generated certificate as the
/// client's trust root.
@Suite(.timeLimit(.minutes(1)))
struct RouteTests {
    @Test(arguments: [false, true])
    func healthz(tls: Bool) async throws {
        try await withServer(tls: tls) { server in
            let client = try await server.connect()
            let response = try await client.request(.get, "/healthz")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.text == #"{"status":"ok"}"#)
            #expect(response.header("Date") != nil)
            #expect(response.header("X-Request-Id") != nil)
            await client.close()
        }
    }

    @Test(arguments: [false, true])
    func capabilitiesFollowTheContract(tls: Bool) async throws {
        try await withServer(tls: tls, configure: {
            $0.entityID = "node-a"
            $0.maxMessageBytes = 32768
            $0.heartbeatIntervalSeconds = 15
        }) { server in
            let client = try await server.connect()
            let response = try await client.request(.get, "/peers/capabilities")
            #expect(response.status == 200)
            let document = try #require(try JSONReader.parse(response.body).objectValue)
            #expect(document["server_entity"] == "node-a")
            #expect(document["protocol_versions"] == ["1.1", "1.2"])
            #expect(document["transports"] == ["websocket", "http"])
            #expect(document["websocket"] == ["peers": "/ws/v1/peers", "events": "/ws/v1/events"])
            #expect(document["max_message_bytes"] == 32768)
            #expect(document["heartbeat_interval_s"] == 15)
            #expect(document["auth"] == "ed25519-challenge+jwt")
            #expect(document.count == 7)
            await client.close()
        }
    }

    @Test(arguments: [false, true])
    func jwksPublishesTheNodeKey(tls: Bool) async throws {
        try await withServer(tls: tls) { server in
            let client = try await server.connect()
            let response = try await client.request(.get, "/.well-known/jwks.json")
            #expect(response.status == 200)
            let document = try #require(try JSONReader.parse(response.body).objectValue)
            let keys = try #require(document["keys"]?.arrayValue)
            #expect(keys.count == 1)
            let key = try #require(keys.first?.objectValue)
            #expect(key["kty"] == "OKP")
            #expect(key["crv"] == "Ed25519")
            #expect(key["x"]?.stringValue == server.identity.publicKey.base64URL)
            #expect(key["kid"]?.stringValue == server.identity.publicKey.jwkThumbprint)
            #expect(key["d"] == nil)
            await client.close()
        }
    }

    @Test(arguments: [false, true])
    func unknownPathIsNotFound(tls: Bool) async throws {
        try await withServer(tls: tls) { server in
            let client = try await server.connect()
            let response = try await client.request(.get, "/no/such/path?token=abc")
            #expect(response.status == 404)
            let error = try #require(try JSONReader.parse(response.body).objectValue?["error"]?.objectValue)
            #expect(error["code"] == "NOT_FOUND")
            #expect(error["message"]?.stringValue?.isEmpty == false)
            // The connection stays usable after a 404.
            #expect(try await client.request(.get, "/healthz").status == 200)
            await client.close()
        }
    }

    @Test(arguments: [false, true])
    func wrongMethodIsNotAllowed(tls: Bool) async throws {
        try await withServer(tls: tls) { server in
            let client = try await server.connect()
            let response = try await client.request(.delete, "/healthz")
            #expect(response.status == 405)
            #expect(response.header("Allow") == "GET, HEAD")
            let error = try #require(try JSONReader.parse(response.body).objectValue?["error"]?.objectValue)
            #expect(error["code"] == "METHOD_NOT_ALLOWED")
            await client.close()
        }
    }

    @Test func headAnswersWithoutBody() async throws {
        try await withServer { server in
            let client = try await server.connect()
            let response = try await client.request(.head, "/healthz")
            #expect(response.status == 200)
            #expect(response.header("Content-Length") == "15")
            #expect(response.body.isEmpty)
            #expect(try await client.request(.get, "/healthz").text == #"{"status":"ok"}"#)
            await client.close()
        }
    }

    @Test func tlsNegotiatesHTTP11AndPresentsTheGeneratedCertificate() async throws {
        try await withServer(tls: true) { server in
            let material = try #require(server.tls)
            #expect(material.selfSigned)
            #expect(material.fingerprint == (try CertificateFingerprint.sha256(pemFile: material.certificatePath)))
            // The certificate names 127.0.0.1, so a client verifying the address accepts it too.
            let client = try await server.connect(serverName: "127.0.0.1")
            #expect(await client.negotiatedALPN == "http/1.1")
            #expect(try await client.request(.get, "/healthz").status == 200)
            await client.close()
        }
    }

    @Test func plainClientOnTLSServerGetsNoHTTP() async throws {
        try await withServer(tls: true) { server in
            let client = try await TestClient.connect(to: server.address, on: server.clientLoop)
            try await client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            // The server answers a TLS alert (or nothing) and closes: never an HTTP response.
            let bytes = try await client.readRaw(count: 1 << 20)
            #expect(!bytes.starts(with: Array("HTTP/".utf8)))
            await client.close()
        }
    }
}
