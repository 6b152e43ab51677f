import RingwayCrypto
import RingwayEnvelope
import RingwayJSON

/// A token from `POST /auth/verify`.
public struct ClientToken: Sendable, Hashable {
    /// The JWT. A credential: never log it.
    public var token: String
    /// Unix seconds at which it expires (`exp`).
    public var expiresAt: Int64
}

/// The challenge → JWT flow of contract §4 over an HTTP connection.
public enum Authenticator {
    /// `GET /auth/token`, sign the challenge, `POST /auth/verify`.
    public static func authenticate(
        _ credentials: Credentials, over connection: HTTPClientConnection, isolation: isolated (any Actor)? = #isolation
    ) async throws(ClientError) -> ClientToken {
        let entity = credentials.entityID.rawValue
        let challenge = try await connection.request(
            .get, "/auth/token?entity_id=\(entity)&pubkey=\(credentials.key.publicKey.base64URL)")
        guard challenge.status == 200 else { throw challenge.error }
        guard let nonce = (try? JSONReader.parse(challenge.body))?.objectValue?["nonce"]?.stringValue else {
            throw .protocolViolation("the challenge has no nonce")
        }
        let signature = AuthChallenge.sign(entityID: entity, nonce: nonce, with: credentials.key)
        let body = JSONWriter.encode([
            "entity_id": .string(entity), "nonce": .string(nonce), "signature": .string(signature),
        ] as JSONValue)
        let verified = try await connection.request(.post, "/auth/verify", body: body)
        guard verified.status == 200 else { throw verified.error }
        guard let object = (try? JSONReader.parse(verified.body))?.objectValue, let token = object["token"]?.stringValue,
              let expiresAt = object["expires_at"]?.safeIntegerValue else {
            throw .protocolViolation("the verify response has no token")
        }
        return ClientToken(token: token, expiresAt: expiresAt)
    }
}
