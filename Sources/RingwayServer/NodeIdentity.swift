import RingwayCrypto
import RingwayJSON

/// The node's Ed25519 key: it signs the node's tokens and envelopes, and `/.well-known/jwks.json`
/// publishes its public half.
///
/// On disk it is a private JWK (RFC 8037) on one line, mode 0600:
/// `{"kty":"OKP","crv":"Ed25519","d":"<seed>","x":"<public key>"}` (base64url, no padding).
public struct NodeIdentity: Sendable {
    /// The signing key. Never log it.
    public let privateKey: Ed25519PrivateKey
    /// Where the key was read from or written to.
    public let path: String
    /// True when this call created the key file.
    public let created: Bool

    /// The public key.
    public var publicKey: Ed25519PublicKey { privateKey.publicKey }

    /// The key file inside a data directory.
    public static func keyPath(dataDirectory: String) -> String {
        dataDirectory + "/node.key"
    }

    /// Reads the key file in `dataDirectory`, or creates the directory (0700) and a new key
    /// file (0600) on first start.
    public static func loadOrCreate(dataDirectory: String) throws(StartupError) -> NodeIdentity {
        let path = keyPath(dataDirectory: dataDirectory)
        if FileSystem.exists(path) {
            return NodeIdentity(privateKey: try read(path), path: path, created: false)
        }
        do {
            try FileSystem.makeDirectories(dataDirectory, mode: 0o700)
        } catch {
            throw StartupError("cannot create the data directory: \(error)")
        }
        let key = Ed25519PrivateKey()
        do {
            try write(key, to: path)
        } catch {
            throw StartupError("cannot write the node key: \(error)")
        }
        return NodeIdentity(privateKey: key, path: path, created: true)
    }

    /// Writes `key` to a new file at `path` (mode 0600); an existing file is never replaced.
    public static func write(_ key: Ed25519PrivateKey, to path: String) throws(FileSystemError) {
        try FileSystem.writeFile(encode(key), to: path, mode: 0o600, exclusive: true)
    }

    /// Reads a key file written by ``write(_:to:)``.
    public static func read(_ path: String) throws(StartupError) -> Ed25519PrivateKey {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(path, maxBytes: 4096)
        } catch {
            throw StartupError("cannot read the node key: \(error)")
        }
        do {
            return try decode(bytes)
        } catch {
            throw StartupError("the node key file \(path) is not an Ed25519 private JWK: \(error.reason)")
        }
    }

    /// The file contents for `key`.
    static func encode(_ key: Ed25519PrivateKey) -> [UInt8] {
        let jwk: JSONValue = [
            "kty": "OKP",
            "crv": "Ed25519",
            "d": .string(Base64URL.encode(key.seed)),
            "x": .string(key.publicKey.base64URL),
        ]
        return JSONWriter.encode(jwk) + [UInt8(ascii: "\n")]
    }

    struct DecodeError: Error {
        let reason: String
    }

    static func decode(_ bytes: [UInt8]) throws(DecodeError) -> Ed25519PrivateKey {
        guard let object = (try? JSONReader.parse(bytes))?.objectValue else { throw DecodeError(reason: "not a JSON object") }
        guard object["kty"]?.stringValue == "OKP", object["crv"]?.stringValue == "Ed25519" else {
            throw DecodeError(reason: "kty must be OKP and crv Ed25519")
        }
        guard let seedText = object["d"]?.stringValue, let seed = try? Base64URL.decode(seedText),
              let key = try? Ed25519PrivateKey(seed: seed) else {
            throw DecodeError(reason: "d must be a base64url 32-byte seed")
        }
        if let x = object["x"]?.stringValue, x != key.publicKey.base64URL {
            throw DecodeError(reason: "x does not match the public key of d")
        }
        return key
    }
}
