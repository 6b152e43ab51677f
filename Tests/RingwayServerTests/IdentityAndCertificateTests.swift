import Foundation
import RingwayCrypto
import RingwayServer
import RingwayTLS
import Testing

/// The node key and the TLS certificate in the data directory: created once, reused after.
struct IdentityAndCertificateTests {
    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func nodeKeyIsCreatedOnceWithMode0600AndReused() throws {
        let directory = try temporaryDirectory() + "/fresh/data"
        let first = try NodeIdentity.loadOrCreate(dataDirectory: directory)
        #expect(first.created)
        #expect(try mode(first.path) == 0o600)
        #expect(try mode(directory) == 0o700)
        let second = try NodeIdentity.loadOrCreate(dataDirectory: directory)
        #expect(!second.created)
        #expect(second.publicKey == first.publicKey)
        #expect(second.privateKey.seed == first.privateKey.seed)
    }

    @Test func keyFileIsAPrivateJWK() throws {
        let path = try temporaryDirectory() + "/node.key"
        let key = Ed25519PrivateKey()
        try NodeIdentity.write(key, to: path)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(#""kty":"OKP""#))
        #expect(text.contains(#""crv":"Ed25519""#))
        #expect(text.contains(#""x":"\#(key.publicKey.base64URL)""#))
        #expect(try NodeIdentity.read(path).publicKey == key.publicKey)
        #expect(try mode(path) == 0o600)
    }

    @Test func existingKeyFileIsNeverReplaced() throws {
        let path = try temporaryDirectory() + "/node.key"
        let original = Ed25519PrivateKey()
        try NodeIdentity.write(original, to: path)
        #expect(throws: FileSystemError.self) { try NodeIdentity.write(Ed25519PrivateKey(), to: path) }
        #expect(try NodeIdentity.read(path).publicKey == original.publicKey)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: (path as NSString).deletingLastPathComponent)
        #expect(leftovers == ["node.key"])
    }

    @Test func corruptKeyFileStopsTheStartWithItsPath() throws {
        let directory = try temporaryDirectory()
        try "not a key".write(toFile: NodeIdentity.keyPath(dataDirectory: directory), atomically: true, encoding: .utf8)
        let error = #expect(throws: StartupError.self) { try NodeIdentity.loadOrCreate(dataDirectory: directory) }
        #expect(error?.description.contains(NodeIdentity.keyPath(dataDirectory: directory)) == true)
    }

    @Test func selfSignedCertificateIsCreatedOnceAndReused() throws {
        var configuration = ServerConfiguration()
        configuration.dataDirectory = try temporaryDirectory() + "/data"
        let now = Int64(Date().timeIntervalSince1970)
        let first = try TLSMaterial.prepare(configuration: configuration, now: now)
        #expect(first.generated)
        #expect(first.selfSigned)
        #expect(try mode(first.privateKeyPath) == 0o600)
        let pem = try String(contentsOfFile: first.certificatePath, encoding: .utf8)
        #expect(first.fingerprint == (try CertificateFingerprint.sha256(pem: pem)))

        let second = try TLSMaterial.prepare(configuration: configuration, now: now + 10)
        #expect(!second.generated)
        #expect(second.fingerprint == first.fingerprint)
        #expect(try String(contentsOfFile: second.certificatePath, encoding: .utf8) == pem)
    }

    @Test func configuredCertificateIsUsedInstead() throws {
        let directory = try temporaryDirectory()
        let certificate = try SelfSignedCertificate.generate(dnsNames: ["ringway.example"], notBefore: Int64(Date().timeIntervalSince1970) - 60)
        try certificate.write(certificatePath: directory + "/cert.pem", privateKeyPath: directory + "/key.pem")
        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory + "/data"
        configuration.tlsCertificatePath = directory + "/cert.pem"
        configuration.tlsPrivateKeyPath = directory + "/key.pem"
        let material = try TLSMaterial.prepare(configuration: configuration, now: 0)
        #expect(!material.selfSigned)
        #expect(!material.generated)
        #expect(material.fingerprint == (try certificate.sha256Fingerprint()))
        #expect(!FileManager.default.fileExists(atPath: TLSMaterial.selfSignedPaths(dataDirectory: configuration.dataDirectory).certificate))
    }

    @Test func unreadableConfiguredCertificateIsReported() throws {
        var configuration = ServerConfiguration()
        configuration.tlsCertificatePath = "/nonexistent/cert.pem"
        configuration.tlsPrivateKeyPath = "/nonexistent/key.pem"
        let error = #expect(throws: StartupError.self) { try TLSMaterial.prepare(configuration: configuration, now: 0) }
        #expect(error?.description.contains("/nonexistent/cert.pem") == true)
    }

    @Test func halfOfAGeneratedPairIsNotSilentlyReplaced() throws {
        var configuration = ServerConfiguration()
        configuration.dataDirectory = try temporaryDirectory()
        let paths = TLSMaterial.selfSignedPaths(dataDirectory: configuration.dataDirectory)
        try "orphan".write(toFile: paths.privateKey, atomically: true, encoding: .utf8)
        let error = #expect(throws: StartupError.self) { try TLSMaterial.prepare(configuration: configuration, now: 0) }
        #expect(error?.description.contains(paths.certificate) == true)
        #expect(try String(contentsOfFile: paths.privateKey, encoding: .utf8) == "orphan")
    }
}
