import Foundation
import RingwayTLS
import Testing

@Suite("Peer verification")
struct VerificationTests {
    private func run(client: TLSConfiguration, serverName: String? = "localhost",
                     certificate: SelfSignedCertificate = Fixtures.localhost) throws -> TLSPair {
        let pair = try TLSPair(server: certificate.serverConfiguration, client: client, serverName: serverName)
        pair.run()
        return pair
    }

    @Test("An untrusted certificate fails verification with a readable error; the server gets the alert")
    func untrusted() throws {
        let pair = try run(client: .client(trustRoots: .certificates(.pem(Fixtures.other.certificatePEM))))
        let error = try #require(pair.client.error)
        #expect(error.kind == .certificateVerification)
        #expect(error.isRemote)
        #expect(error.description.contains("certificate verify failed"))
        #expect(error.verifyResult == "self-signed certificate")
        #expect(pair.client.connection.handshakeState == .failed(error))
        let serverError = try #require(pair.server.error)
        #expect(serverError.description.contains("alert"))
        // The failure is final.
        #expect(throws: error) { try pair.client.connection.handshake() }
    }

    @Test("Verification is on by default against the system store, which does not know the certificate")
    func systemStoreByDefault() throws {
        let pair = try run(client: .client())
        #expect(pair.client.error?.kind == .certificateVerification)
    }

    @Test("The generated certificate given as the CA file is trusted")
    func trustedFromFile() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ca.pem").path
        try PEMFile.write(Fixtures.localhost.certificatePEM, to: path, permissions: 0o644)
        let pair = try run(client: .client(trustRoots: .certificates(.file(path: path))))
        #expect(pair.isEstablished)
        #expect(pair.client.error == nil)
    }

    @Test("Names from subjectAltName are accepted, with or without the extra names")
    func subjectAltNames() throws {
        let trust = TLSConfiguration.client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM)))
        for name in ["localhost", "LOCALHOST", "ringway.test", "127.0.0.1", "::1"] {
            let pair = try run(client: trust, serverName: name)
            #expect(pair.isEstablished, "\(name)")
        }
    }

    @Test("A host name mismatch is refused")
    func hostnameMismatch() throws {
        let trust = TLSConfiguration.client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM)))
        let pair = try run(client: trust, serverName: "example.com")
        let error = try #require(pair.client.error)
        #expect(error.kind == .certificateVerification)
        #expect(error.verifyResult == "hostname mismatch")
        #expect(error.description.contains("verify"))
        // The SNI still carried the requested name.
        #expect(pair.server.connection.requestedServerName == "example.com")
    }

    @Test("noHostnameVerification checks the chain but not the name")
    func chainOnly() throws {
        var trusted = TLSConfiguration.client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM)))
        trusted.certificateVerification = .noHostnameVerification
        #expect(try run(client: trusted, serverName: "example.com").isEstablished)
        #expect(try run(client: trusted, serverName: nil).isEstablished)

        var untrusted = TLSConfiguration.client(trustRoots: .certificates(.pem(Fixtures.other.certificatePEM)))
        untrusted.certificateVerification = .noHostnameVerification
        #expect(try run(client: untrusted).client.error?.kind == .certificateVerification)
    }

    @Test("Verification none accepts anything")
    func noVerification() throws {
        var client = TLSConfiguration.client(trustRoots: .certificates(.pem(Fixtures.other.certificatePEM)))
        client.certificateVerification = .none
        #expect(try run(client: client, serverName: "example.com").isEstablished)
    }

    @Test("Full verification needs a server name")
    func serverNameRequired() throws {
        let context = try TLSContext(configuration: .client())
        let error = #expect(throws: TLSError.self) { try TLSConnection(context: context) }
        #expect(error?.kind == .configuration)
        #expect(error?.reason.contains("serverName") == true)
    }

    @Test("Expired and not-yet-valid certificates are refused")
    func validityPeriod() throws {
        let day: Int64 = 86_400
        let expired = try SelfSignedCertificate.generate(notBefore: Fixtures.now - 10 * day, validitySeconds: day)
        let future = try SelfSignedCertificate.generate(notBefore: Fixtures.now + 10 * day, validitySeconds: day)
        for (certificate, expected) in [(expired, "certificate has expired"), (future, "certificate is not yet valid")] {
            let pair = try run(
                client: .client(trustRoots: .certificates(.pem(certificate.certificatePEM))),
                certificate: certificate)
            #expect(pair.client.error?.verifyResult == expected)
        }
    }
}
