import RingwayTLS
import Testing

@Suite("Configuration errors")
struct ConfigurationTests {
    private func configurationError(_ configuration: TLSConfiguration) -> TLSError? {
        let error = #expect(throws: TLSError.self) { try TLSContext(configuration: configuration) }
        #expect(error?.kind == .configuration)
        #expect(error?.isRemote == false)
        return error
    }

    @Test("A missing certificate file names the path and the system error")
    func missingFile() {
        let error = configurationError(
            .server(certificateChain: .file(path: "/nonexistent/cert.pem"), privateKey: .pem(Fixtures.localhost.privateKeyPEM)))
        #expect(error?.operation.contains("/nonexistent/cert.pem") == true)
        #expect(error?.reason.contains("No such file or directory") == true)
    }

    @Test("Text that is not PEM is refused")
    func notPEM() {
        let error = configurationError(.server(certificateChain: .pem("hello"), privateKey: .pem("world")))
        #expect(error?.reason.contains("no start line") == true)
        let trust = configurationError(.client(trustRoots: .certificates(.pem("not a certificate"))))
        #expect(trust?.operation.contains("trust roots") == true)
    }

    @Test("A key that does not match the certificate is refused")
    func keyMismatch() {
        let error = configurationError(
            .server(certificateChain: .pem(Fixtures.localhost.certificatePEM), privateKey: .pem(Fixtures.other.privateKeyPEM)))
        #expect(error?.reason.contains("key values mismatch") == true)
    }

    @Test("An encrypted key is refused without prompting for a passphrase")
    func encryptedKey() throws {
        guard let encrypted = try Fixtures.openssl(
            ["pkey", "-aes256", "-passout", "pass:secret"], input: Fixtures.localhost.privateKeyPEM)
        else { return }
        #expect(encrypted.contains("ENCRYPTED PRIVATE KEY"))
        _ = configurationError(
            .server(certificateChain: .pem(Fixtures.localhost.certificatePEM), privateKey: .pem(encrypted)))
    }

    @Test("Invalid settings are refused before OpenSSL is asked")
    func invalidSettings() {
        var server = Fixtures.localhost.serverConfiguration
        server.minimumVersion = .v1_3
        server.maximumVersion = .v1_2
        _ = configurationError(server)

        _ = configurationError(TLSConfiguration(role: .server))

        var alpn = TLSConfiguration.client()
        alpn.alpnProtocols = [""]
        _ = configurationError(alpn)
        alpn.alpnProtocols = [String(repeating: "x", count: 256)]
        _ = configurationError(alpn)

        var groups = TLSConfiguration.client()
        groups.keyExchangeGroups = ["no-such-group"]
        _ = configurationError(groups)
    }

    @Test("Printing a configuration or certificate never shows the private key")
    func redaction() throws {
        let key = Fixtures.localhost.privateKeyPEM
        let body = String(key.split(separator: "\n")[1])
        for text in [
            "\(Fixtures.localhost.serverConfiguration)", String(reflecting: Fixtures.localhost.serverConfiguration),
            "\(Fixtures.localhost)", String(reflecting: Fixtures.localhost),
        ] {
            #expect(!text.contains(body))
            #expect(!text.contains("PRIVATE KEY"))
        }
        #expect("\(Fixtures.localhost)".contains(try Fixtures.localhost.sha256Fingerprint()))
    }

    @Test("A context is shared by connections created on many tasks")
    func sharedContext() async throws {
        let serverContext = try TLSContext(configuration: Fixtures.localhost.serverConfiguration)
        let clientContext = try TLSContext(
            configuration: .client(trustRoots: .certificates(.pem(Fixtures.localhost.certificatePEM))))
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    guard let pair = try? TLSPair(
                        client: TLSConnection(context: clientContext, serverName: "localhost"),
                        server: TLSConnection(context: serverContext))
                    else { return false }
                    pair.run()
                    return pair.isEstablished
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }
}
