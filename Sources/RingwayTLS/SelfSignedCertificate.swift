import CRingwayOpenSSL
import Glibc

/// A freshly generated ECDSA P-256 key with a self-signed X.509 v3 server certificate, for the
/// daemon's embedded default when no certificate is configured.
///
/// The certificate is not a CA (basicConstraints CA:FALSE), allows digitalSignature and
/// serverAuth, and names `localhost` and `127.0.0.1` plus the caller's names in subjectAltName.
/// Clients trust it by using it as their trust root (or by pinning its fingerprint).
public struct SelfSignedCertificate: Sendable, Hashable {
    /// The certificate as PEM ("-----BEGIN CERTIFICATE-----").
    public let certificatePEM: String
    /// The private key as unencrypted PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). A secret.
    public let privateKeyPEM: String

    /// Names always present in subjectAltName.
    public static let defaultDNSNames = ["localhost"]
    /// Addresses always present in subjectAltName.
    public static let defaultIPAddresses = ["127.0.0.1"]
    /// One year, the default validity.
    public static let defaultValiditySeconds: Int64 = 365 * 24 * 60 * 60
    /// Limit on each of the caller's name lists.
    public static let maxExtraNames = 100

    /// Generates a key and certificate.
    /// - Parameters:
    ///   - commonName: the subject and issuer CN.
    ///   - dnsNames: DNS names added to subjectAltName (a leading `*.` wildcard is allowed).
    ///   - ipAddresses: IPv4 or IPv6 literals added to subjectAltName.
    ///   - notBefore: start of validity, Unix seconds (pass the current time, perhaps minus some
    ///     clock skew allowance).
    ///   - validitySeconds: length of validity from `notBefore`.
    /// - Throws: ``TLSError/Kind/certificate`` for an invalid name or an OpenSSL failure.
    public static func generate(
        commonName: String = "localhost",
        dnsNames: [String] = [],
        ipAddresses: [String] = [],
        notBefore: Int64,
        validitySeconds: Int64 = defaultValiditySeconds
    ) throws(TLSError) -> SelfSignedCertificate {
        func invalid(_ reason: String) -> TLSError {
            TLSError(kind: .certificate, operation: "generating a self-signed certificate", reason: reason)
        }
        guard validitySeconds > 0, notBefore <= Int64.max - validitySeconds else {
            throw invalid("validitySeconds must be positive and end before Int64.max")
        }
        guard dnsNames.count <= maxExtraNames, ipAddresses.count <= maxExtraNames else {
            throw invalid("at most \(maxExtraNames) extra DNS names and IP addresses")
        }
        guard (1...64).contains(commonName.utf8.count), !commonName.utf8.contains(0) else {
            throw invalid("the common name must be 1 to 64 bytes without NUL")
        }
        for name in dnsNames where !isValidDNSName(name) {
            throw invalid("not a DNS name: \"\(name)\"")
        }
        for address in ipAddresses where address.utf8.contains(0) || address.withCString(rw_ip_literal_length) == 0 {
            throw invalid("not an IP address: \"\(address)\"")
        }
        let dns = unique(defaultDNSNames + dnsNames.map { $0.lowercased() })
        let ips = unique(defaultIPAddresses + ipAddresses)

        var certificate: UnsafeMutablePointer<CChar>?
        var certificateLength = 0
        var key: UnsafeMutablePointer<CChar>?
        var keyLength = 0
        let ok = withCStringArray(dns) { dnsPointers in
            withCStringArray(ips) { ipPointers in
                rw_x509_self_signed(
                    commonName, dnsPointers, dns.count, ipPointers, ips.count,
                    notBefore, notBefore + validitySeconds,
                    &certificate, &certificateLength, &key, &keyLength)
            }
        }
        guard ok == 1, let certificate, let key else {
            throw OpenSSLErrorQueue.error(.certificate, "generating a self-signed certificate")
        }
        defer {
            rw_ossl_free(certificate)
            rw_ossl_free(key)
        }
        return SelfSignedCertificate(
            certificatePEM: String(cString: certificate),
            privateKeyPEM: String(cString: key))
    }

    /// Creates a value from existing PEM text.
    public init(certificatePEM: String, privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// The SHA-256 fingerprint of the certificate, as `AB:CD:…` (see ``CertificateFingerprint``).
    public func sha256Fingerprint() throws(TLSError) -> String {
        try CertificateFingerprint.sha256(pem: certificatePEM)
    }

    /// A server configuration presenting this certificate from memory.
    public var serverConfiguration: TLSConfiguration {
        .server(certificateChain: .pem(certificatePEM), privateKey: .pem(privateKeyPEM))
    }

    /// Writes the certificate (mode 0644) and the key (mode 0600) atomically.
    public func write(certificatePath: String, privateKeyPath: String) throws(TLSError) {
        try PEMFile.write(certificatePEM, to: certificatePath, permissions: 0o644)
        try PEMFile.write(privateKeyPEM, to: privateKeyPath, permissions: 0o600)
    }

    // LDH labels of 1–63 bytes, 253 bytes in all, an optional leading "*." wildcard label.
    static func isValidDNSName(_ name: String) -> Bool {
        var labels = name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard name.utf8.count <= 253, !labels.isEmpty else { return false }
        if labels.count > 1, labels[0].elementsEqual("*".utf8) { labels.removeFirst() }
        return labels.allSatisfy { label in
            guard (1...63).contains(label.count),
                  label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-")
            else { return false }
            return label.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                     UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"): true
                default: false
                }
            }
        }
    }

    private static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }
}

// The private key must never reach a log through string interpolation.
extension SelfSignedCertificate: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        let fingerprint = (try? sha256Fingerprint()) ?? "unreadable"
        return "SelfSignedCertificate(sha256: \(fingerprint), private key redacted)"
    }

    public var debugDescription: String { description }
}

/// Calls `body` with a C array of C strings that stays valid during the call.
private func withCStringArray<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) })
}
