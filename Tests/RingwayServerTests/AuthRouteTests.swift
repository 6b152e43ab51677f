import Foundation
import RingwayCrypto
import RingwayEnvelope
import RingwayHTTP
import RingwayJSON
import RingwayServer
import Testing

/// `GET /auth/token` and `POST /auth/verify` over a real server on 127.0.0.1, and the token
/// check later routes use.
@Suite(.timeLimit(.minutes(1)))
struct AuthRouteTests {
    let key = Ed25519PrivateKey()

    func json(_ response: ReceivedResponse) throws -> JSONObject {
        try #require(try JSONReader.parse(response.body).objectValue)
    }

    /// Checks the contract's error body and status.
    func expectError(_ response: ReceivedResponse, _ code: WireErrorCode, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == code.httpStatus, sourceLocation: sourceLocation)
        #expect(response.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
        let document = try json(response)
        #expect(document.count == 1, sourceLocation: sourceLocation)
        let error = try #require(document["error"]?.objectValue, sourceLocation: sourceLocation)
        #expect(error.count == 2, sourceLocation: sourceLocation)
        #expect(error["code"]?.stringValue == code.rawValue, sourceLocation: sourceLocation)
        #expect((error["message"]?.stringValue ?? "").isEmpty == false, sourceLocation: sourceLocation)
    }

    func challenge(_ client: TestClient, entity: String = "sensor-7", key: Ed25519PrivateKey? = nil) async throws -> String {
        let publicKey = (key ?? self.key).publicKey.base64URL
        let response = try await client.request(.get, "/auth/token?entity_id=\(entity)&pubkey=\(publicKey)")
        #expect(response.status == 200)
        return try #require(try json(response)["nonce"]?.stringValue)
    }

    func verifyBody(entity: String = "sensor-7", nonce: String, signature: String) -> String {
        #"{"entity_id":"\#(entity)","nonce":"\#(nonce)","signature":"\#(signature)"}"#
    }

    @Test func challengeVerifyTokenRoundTrip() async throws {
        try await withServer(configure: { $0.entityID = "hub"; $0.tokenTTLSeconds = 900 }) { server in
            let client = try await server.connect()
            let before = Int64(Date().timeIntervalSince1970)

            let challengeResponse = try await client.request(
                .get, "/auth/token?entity_id=sensor-7&pubkey=\(key.publicKey.base64URL)")
            #expect(challengeResponse.status == 200)
            #expect(challengeResponse.header("Content-Type") == "application/json")
            #expect(challengeResponse.header("Cache-Control") == "no-store")
            let challenge = try json(challengeResponse)
            #expect(challenge.members.map(\.name) == ["entity_id", "nonce", "expires_at"])
            #expect(challenge["entity_id"]?.stringValue == "sensor-7")
            let nonce = try #require(challenge["nonce"]?.stringValue)
            #expect(try Base64URL.decodeStrict(nonce).count == 32)
            let nonceExpiry = try #require(challenge["expires_at"]?.safeIntegerValue)
            #expect(nonceExpiry >= before + 60 && nonceExpiry <= Int64(Date().timeIntervalSince1970) + 60)

            let signature = AuthChallenge.sign(entityID: "sensor-7", nonce: nonce, with: key)
            let verifyResponse = try await client.request(
                .post, "/auth/verify", headers: ["Content-Type: application/json"],
                body: verifyBody(nonce: nonce, signature: signature))
            #expect(verifyResponse.status == 200)
            #expect(verifyResponse.header("Cache-Control") == "no-store")
            let issued = try json(verifyResponse)
            #expect(issued.members.map(\.name) == ["token", "token_type", "expires_at"])
            #expect(issued["token_type"]?.stringValue == "Bearer")
            let token = try #require(issued["token"]?.stringValue)
            let expiresAt = try #require(issued["expires_at"]?.safeIntegerValue)

            // Anyone with the JWKS key can check the token; its exp is the response's expires_at.
            let verifier = JWTVerifier(publicKey: server.identity.publicKey, expectedIssuer: "hub")
            let claims = try verifier.verify(token, now: Int64(Date().timeIntervalSince1970))
            #expect(claims.subject == "sensor-7")
            #expect(claims.publicKey == key.publicKey.base64URL)
            #expect(claims.expiresAt == expiresAt)
            #expect(claims.expiresAt == claims.issuedAt + 900)
            #expect(WireUUID(claims.tokenID)?.version == 7)

            let entity = try server.auth.authenticate(bearer: token, now: Int64(Date().timeIntervalSince1970))
            #expect(entity.entityID.rawValue == "sensor-7")
            #expect(entity.publicKey == key.publicKey)
            let head = RequestHead(method: .get, target: "/ws/v1/peers?entity_id=sensor-7", headers: ["Authorization": "Bearer \(token)"])
            #expect(try server.auth.authenticate(head, now: Int64(Date().timeIntervalSince1970)) == entity)
            #expect(server.auth.pinnedKeys == ["sensor-7": key.publicKey])

            // The same nonce a second time.
            let replay = try await client.request(.post, "/auth/verify", body: verifyBody(nonce: nonce, signature: signature))
            try expectError(replay, .authFailed)

            // Neither the nonce nor the token reaches the log.
            let log = server.log.lines.joined(separator: "\n")
            #expect(!log.contains(nonce))
            #expect(!log.contains(token))
            #expect(log.contains("pinned a key on first use"))
            await client.close()
        }
    }

    @Test func pinnedKeyMismatchIs409() async throws {
        try await withServer { server in
            let client = try await server.connect()
            let nonce = try await challenge(client)
            let response = try await client.request(
                .post, "/auth/verify",
                body: verifyBody(nonce: nonce, signature: AuthChallenge.sign(entityID: "sensor-7", nonce: nonce, with: key)))
            #expect(response.status == 200)
            let other = Ed25519PrivateKey().publicKey.base64URL
            let mismatch = try await client.request(.get, "/auth/token?entity_id=sensor-7&pubkey=\(other)")
            try expectError(mismatch, .keyMismatch)
            #expect(mismatch.status == 409)
            await client.close()
        }
    }

    @Test func keysFileMismatchIs409AndUnknownEntityIs403() async throws {
        let directory = try temporaryDirectory()
        let keysFile = directory + "/keys.json"
        try #"{"sensor-7":"\#(key.publicKey.base64URL)"}"#.write(toFile: keysFile, atomically: true, encoding: .utf8)
        try await withServer(configure: { $0.keysFile = keysFile }) { server in
            let client = try await server.connect()
            let other = Ed25519PrivateKey().publicKey.base64URL
            try expectError(try await client.request(.get, "/auth/token?entity_id=sensor-7&pubkey=\(other)"), .keyMismatch)
            try expectError(try await client.request(.get, "/auth/token?entity_id=stranger&pubkey=\(other)"), .forbidden)
            _ = try await challenge(client)
            await client.close()
        }
    }

    @Test(arguments: [
        "/auth/token", "/auth/token?entity_id=sensor-7", "/auth/token?pubkey=AAAA",
        "/auth/token?entity_id=bad%20id&pubkey=11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        "/auth/token?entity_id=sensor-7&pubkey=AAAA", "/auth/token?entity_id=sensor-7&pubkey=%ZZ",
    ])
    func malformedChallengeIs400(target: String) async throws {
        try await withServer { server in
            let client = try await server.connect()
            try expectError(try await client.request(.get, target), .malformed)
            await client.close()
        }
    }

    @Test func badSignatureIs401AndUsesUpTheNonce() async throws {
        try await withServer { server in
            let client = try await server.connect()
            let nonce = try await challenge(client)
            let wrong = AuthChallenge.sign(entityID: "sensor-7", nonce: nonce, with: Ed25519PrivateKey())
            try expectError(try await client.request(.post, "/auth/verify", body: verifyBody(nonce: nonce, signature: wrong)), .authFailed)
            let right = AuthChallenge.sign(entityID: "sensor-7", nonce: nonce, with: key)
            try expectError(try await client.request(.post, "/auth/verify", body: verifyBody(nonce: nonce, signature: right)), .authFailed)
            #expect(server.auth.pinnedKeys.isEmpty)
            await client.close()
        }
    }

    @Test func wrongEntityIs401() async throws {
        try await withServer { server in
            let client = try await server.connect()
            let nonce = try await challenge(client)
            let signature = AuthChallenge.sign(entityID: "sensor-8", nonce: nonce, with: key)
            try expectError(
                try await client.request(.post, "/auth/verify", body: verifyBody(entity: "sensor-8", nonce: nonce, signature: signature)),
                .authFailed)
            await client.close()
        }
    }

    @Test(arguments: ["not json", "[]", #"{"entity_id":"sensor-7"}"#, #"{"entity_id":"a","nonce":"b","signature":"c","nonce":"d"}"#])
    func malformedVerifyIs400(body: String) async throws {
        try await withServer { server in
            let client = try await server.connect()
            try expectError(try await client.request(.post, "/auth/verify", body: body), .malformed)
            await client.close()
        }
    }

    @Test func oversizedVerifyBodyIs413() async throws {
        try await withServer { server in
            let client = try await server.connect()
            let body = #"{"entity_id":"sensor-7","nonce":""# + String(repeating: "A", count: 2_000) + #"","signature":"x"}"#
            try expectError(try await client.request(.post, "/auth/verify", body: body), .tooLarge)
            await client.close()
        }
    }

    @Test func tooManyOutstandingNoncesIs429WithRetryAfter() async throws {
        try await withServer(authLimits: AuthLimits(maxOutstandingNonces: 2)) { server in
            let client = try await server.connect()
            let nonce = try await challenge(client, entity: "a")
            _ = try await challenge(client, entity: "b")
            let refused = try await client.request(.get, "/auth/token?entity_id=c&pubkey=\(key.publicKey.base64URL)")
            try expectError(refused, .rateLimited)
            let retryAfter = try #require(Int(refused.header("Retry-After") ?? ""))
            #expect((1...60).contains(retryAfter))
            // Using a nonce frees its slot.
            let signature = AuthChallenge.sign(entityID: "a", nonce: nonce, with: key)
            #expect(try await client.request(.post, "/auth/verify", body: verifyBody(entity: "a", nonce: nonce, signature: signature)).status == 200)
            _ = try await challenge(client, entity: "c")
            await client.close()
        }
    }

    @Test func keyPinnedOnFirstUseSurvivesARestart() async throws {
        let data = try temporaryDirectory() + "/data"
        try await withServer(configure: { $0.dataDirectory = data }) { server in
            let client = try await server.connect()
            let nonce = try await challenge(client)
            let signature = AuthChallenge.sign(entityID: "sensor-7", nonce: nonce, with: key)
            #expect(try await client.request(.post, "/auth/verify", body: verifyBody(nonce: nonce, signature: signature)).status == 200)
            await client.close()
        }
        try await withServer(configure: { $0.dataDirectory = data }) { server in
            let client = try await server.connect()
            let other = Ed25519PrivateKey().publicKey.base64URL
            try expectError(try await client.request(.get, "/auth/token?entity_id=sensor-7&pubkey=\(other)"), .keyMismatch)
            _ = try await challenge(client)
            await client.close()
        }
    }

    @Test func pinThatCannotBeWrittenIs500InternalAndIssuesNoToken() async throws {
        let data = try temporaryDirectory() + "/data"
        try await withServer(configure: { $0.dataDirectory = data }) { server in
            // A directory where the pins journal belongs: appending a pin fails.
            try FileManager.default.createDirectory(atPath: data + "/pinned_keys.journal", withIntermediateDirectories: true)
            let client = try await server.connect()
            let nonce = try await challenge(client)
            let signature = AuthChallenge.sign(entityID: "sensor-7", nonce: nonce, with: key)
            let response = try await client.request(.post, "/auth/verify", body: verifyBody(nonce: nonce, signature: signature))
            try expectError(response, .internalError)
            #expect(server.auth.pinnedKeys.isEmpty)
            await client.close()
        }
    }
}

/// Where a request's bearer token is found.
struct BearerTokenTests {
    func head(_ target: String, _ headers: [(String, String)] = []) -> RequestHead {
        RequestHead(method: .get, target: target, headers: HTTPHeaders(headers.map { HTTPField(name: $0.0, value: $0.1) }))
    }

    func code(_ head: RequestHead) -> WireErrorCode? {
        do {
            _ = try BearerToken.extract(from: head)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func headerOrQuery() throws {
        #expect(try BearerToken.extract(from: head("/p", [("Authorization", "Bearer abc.def.ghi")])) == "abc.def.ghi")
        #expect(try BearerToken.extract(from: head("/p", [("authorization", "bearer   abc ")])) == "abc")
        #expect(try BearerToken.extract(from: head("/p?entity_id=e&token=abc.def")) == "abc.def")
        #expect(try BearerToken.extract(from: head("/p?token=abc", [("Authorization", "Bearer abc")])) == "abc")
        #expect(try BearerToken.extract(from: head("/p?entity_id=e")) == nil)
    }

    @Test func refusedForms() {
        #expect(code(head("/p", [("Authorization", "Basic dXNlcjpwYXNz")])) == .authFailed)
        #expect(code(head("/p", [("Authorization", "Bearer")])) == .authFailed)
        #expect(code(head("/p", [("Authorization", "Bearer  ")])) == .authFailed)
        #expect(code(head("/p", [("Authorization", "Bearer a"), ("Authorization", "Bearer a")])) == .authFailed)
        #expect(code(head("/p?token=a&token=b")) == .authFailed)
        #expect(code(head("/p?token=a", [("Authorization", "Bearer b")])) == .authFailed)
        #expect(code(head("/p?token=%ZZ")) == .malformed)
    }
}
