import Foundation
import RingwayTLS
import Testing

@Suite("Self-signed certificate")
struct CertificateTests {
    /// DER bytes of the first certificate in a PEM text, decoded without OpenSSL.
    private func der(_ pem: String) throws -> [UInt8] {
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return [UInt8](try #require(Data(base64Encoded: body)))
    }

    private func colonHex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    @Test("The independent SHA-256 matches the FIPS 180-2 vectors")
    func sha256Vectors() {
        #expect(colonHex(SHA256.hash(Array("abc".utf8))).replacingOccurrences(of: ":", with: "")
            == "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")
        #expect(colonHex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
            .replacingOccurrences(of: ":", with: "")
            == "248D6A61D20638B8E5C026930C3E6039A33CE45964FF2167F6ECEDD419DB06C1")
    }

    @Test("The fingerprint is SHA-256 over the DER, formatted like openssl x509 -fingerprint -sha256")
    func fingerprint() throws {
        let certificate = Fixtures.localhost
        let fingerprint = try certificate.sha256Fingerprint()
        #expect(fingerprint.count == 95)
        #expect(fingerprint == colonHex(SHA256.hash(try der(certificate.certificatePEM))))
        if let output = try Fixtures.openssl(["x509", "-noout", "-fingerprint", "-sha256"], input: certificate.certificatePEM) {
            // "sha256 Fingerprint=AB:CD:…" (OpenSSL 1.1 spelled it "SHA256").
            let printed = try #require(output.split(separator: "=").last).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(fingerprint == printed)
        }
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("cert.pem").path
        try PEMFile.write(certificate.certificatePEM, to: path, permissions: 0o644)
        #expect(try CertificateFingerprint.sha256(pemFile: path) == fingerprint)
        #expect(try Fixtures.other.sha256Fingerprint() != fingerprint)
    }

    @Test("Key is ECDSA P-256 in PKCS#8; the certificate is v3 with the expected extensions")
    func contents() throws {
        let certificate = try SelfSignedCertificate.generate(
            commonName: "ringwayd", dnsNames: ["Example.Test", "*.example.test"], ipAddresses: ["10.0.0.1"],
            notBefore: 1_700_000_000, validitySeconds: 30 * 86_400)
        #expect(certificate.certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        #expect(certificate.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        guard let text = try Fixtures.openssl(["x509", "-noout", "-text"], input: certificate.certificatePEM) else {
            return
        }
        #expect(text.contains("Version: 3 (0x2)"))
        #expect(text.contains("Signature Algorithm: ecdsa-with-SHA256"))
        #expect(text.contains("ASN1 OID: prime256v1"))
        #expect(text.contains("Subject: CN = ringwayd"))
        #expect(text.contains("Issuer: CN = ringwayd"))
        #expect(text.contains("Not Before: Nov 14 22:13:20 2023 GMT"))
        #expect(text.contains("Not After : Dec 14 22:13:20 2023 GMT"))
        #expect(text.contains("CA:FALSE"))
        #expect(text.contains("Digital Signature"))
        #expect(text.contains("TLS Web Server Authentication"))
        #expect(text.contains(
            "DNS:localhost, DNS:example.test, DNS:*.example.test, IP Address:127.0.0.1, IP Address:10.0.0.1"))
        let key = try #require(try Fixtures.openssl(["pkey", "-noout", "-text"], input: certificate.privateKeyPEM))
        #expect(key.contains("ASN1 OID: prime256v1"))
    }

    @Test("Every certificate gets a fresh key and serial")
    func fresh() throws {
        let a = try SelfSignedCertificate.generate(notBefore: Fixtures.now)
        let b = try SelfSignedCertificate.generate(notBefore: Fixtures.now)
        #expect(a.privateKeyPEM != b.privateKeyPEM)
        #expect(try a.sha256Fingerprint() != b.sha256Fingerprint())
    }

    @Test("Invalid names and validity are refused", arguments: [
        (["bad name"], [String]()), (["-leading.example"], []), ([String(repeating: "a", count: 64)], []),
        (["a..b"], []), (["*"], []), ([], ["localhost"]), ([], ["300.1.1.1"]), ([], ["10.0.0.1/8"]),
    ])
    func invalidNames(dns: [String], ips: [String]) {
        let error = #expect(throws: TLSError.self) {
            try SelfSignedCertificate.generate(dnsNames: dns, ipAddresses: ips, notBefore: Fixtures.now)
        }
        #expect(error?.kind == .certificate)
    }

    @Test("A non-positive validity is refused")
    func invalidValidity() {
        #expect(throws: TLSError.self) {
            try SelfSignedCertificate.generate(notBefore: Fixtures.now, validitySeconds: 0)
        }
    }

    @Test("Files are written with 0644 for the certificate and 0600 for the key, and load back")
    func writeFiles() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificatePath = directory.appendingPathComponent("cert.pem").path
        let keyPath = directory.appendingPathComponent("key.pem").path
        // An existing key file with loose permissions is replaced by a 0600 one.
        try "old".write(toFile: keyPath, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyPath)
        try Fixtures.localhost.write(certificatePath: certificatePath, privateKeyPath: keyPath)
        func mode(_ path: String) throws -> Int {
            try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        #expect(try mode(keyPath) == 0o600)
        #expect(try mode(certificatePath) == 0o644)
        #expect(try PEMFile.read(keyPath) == Fixtures.localhost.privateKeyPEM)
        #expect(try PEMFile.read(certificatePath) == Fixtures.localhost.certificatePEM)
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["cert.pem", "key.pem"])

        let pair = try TLSPair(
            server: .server(certificateChain: .file(path: certificatePath), privateKey: .file(path: keyPath)),
            client: .client(trustRoots: .certificates(.file(path: certificatePath))))
        pair.run()
        #expect(pair.isEstablished)
    }

    @Test("Writing into a missing directory reports the path and errno text")
    func writeFailure() {
        let error = #expect(throws: TLSError.self) {
            try PEMFile.write("x", to: "/nonexistent-ringway-dir/key.pem", permissions: 0o600)
        }
        #expect(error?.kind == .file)
        #expect(error?.description.contains("/nonexistent-ringway-dir/key.pem") == true)
        #expect(error?.reason == "No such file or directory")
    }
}
