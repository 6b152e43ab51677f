import RingwayCrypto
import RingwayEnvelope

/// Who the client is: the entity id and its Ed25519 key.
public struct Credentials: Sendable {
    /// The entity.
    public var entityID: EntityID
    /// Its private key.
    public var key: Ed25519PrivateKey

    /// Creates credentials.
    public init(entityID: EntityID, key: Ed25519PrivateKey) {
        self.entityID = entityID
        self.key = key
    }
}

/// Supplies credentials; asked again on every authentication, so a rotated key is picked up.
public protocol CredentialsProvider: Sendable {
    /// The credentials to authenticate with now.
    func credentials() async throws -> Credentials
}

/// Credentials held in memory.
public struct StaticCredentials: CredentialsProvider {
    private let value: Credentials

    /// Always answers `credentials`.
    public init(_ credentials: Credentials) {
        value = credentials
    }

    public func credentials() async throws -> Credentials { value }
}

/// Credentials from a callback.
public struct CallbackCredentials: CredentialsProvider {
    private let body: @Sendable () async throws -> Credentials

    /// Calls `body` each time.
    public init(_ body: @escaping @Sendable () async throws -> Credentials) {
        self.body = body
    }

    public func credentials() async throws -> Credentials { try await body() }
}
