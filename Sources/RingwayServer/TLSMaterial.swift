import RingwayTLS

/// The certificate and key the daemon serves TLS with, loaded into a shared ``TLSContext``.
public struct TLSMaterial: Sendable {
    /// The server context every connection is created from.
    public let context: TLSContext
    /// The certificate chain file.
    public let certificatePath: String
    /// The private key file.
    public let privateKeyPath: String
    /// SHA-256 fingerprint of the leaf certificate (`AB:CD:…`), for clients that pin it.
    public let fingerprint: String
    /// True when the self-signed certificate was created by this call.
    public let generated: Bool
    /// True when the certificate is the daemon's self-signed one (not configured).
    public let selfSigned: Bool

    /// Where the generated certificate lives in a data directory.
    public static func selfSignedPaths(dataDirectory: String) -> (certificate: String, privateKey: String) {
        (dataDirectory + "/tls-cert.pem", dataDirectory + "/tls-key.pem")
    }

    /// Loads the configured certificate, or the self-signed one from the data directory,
    /// creating it (ECDSA P-256, valid one year) on first start.
    /// - Parameter now: the current Unix time, for the validity of a new certificate.
    public static func prepare(configuration: ServerConfiguration, now: Int64) throws(StartupError) -> TLSMaterial {
        if let certificatePath = configuration.tlsCertificatePath, let privateKeyPath = configuration.tlsPrivateKeyPath {
            return try load(certificatePath: certificatePath, privateKeyPath: privateKeyPath, generated: false, selfSigned: false)
        }
        let paths = selfSignedPaths(dataDirectory: configuration.dataDirectory)
        let haveCertificate = FileSystem.exists(paths.certificate)
        let haveKey = FileSystem.exists(paths.privateKey)
        if haveCertificate && haveKey {
            return try load(certificatePath: paths.certificate, privateKeyPath: paths.privateKey, generated: false, selfSigned: true)
        }
        if haveCertificate != haveKey {
            throw StartupError(
                "only one of \(paths.certificate) and \(paths.privateKey) exists; remove it to have a new self-signed certificate made")
        }
        do {
            try FileSystem.makeDirectories(configuration.dataDirectory, mode: 0o700)
        } catch {
            throw StartupError("cannot create the data directory: \(error)")
        }
        do {
            let certificate = try SelfSignedCertificate.generate(
                commonName: configuration.entityID,
                ipAddresses: extraAddresses(for: configuration),
                notBefore: now - 3600)
            try certificate.write(certificatePath: paths.certificate, privateKeyPath: paths.privateKey)
        } catch {
            throw StartupError("cannot create the self-signed certificate: \(error)")
        }
        return try load(certificatePath: paths.certificate, privateKeyPath: paths.privateKey, generated: true, selfSigned: true)
    }

    private static func load(certificatePath: String, privateKeyPath: String, generated: Bool, selfSigned: Bool) throws(StartupError) -> TLSMaterial {
        do {
            let context = try TLSContext(configuration: .server(
                certificateChain: .file(path: certificatePath), privateKey: .file(path: privateKeyPath)))
            let fingerprint = try CertificateFingerprint.sha256(pemFile: certificatePath)
            return TLSMaterial(
                context: context, certificatePath: certificatePath, privateKeyPath: privateKeyPath,
                fingerprint: fingerprint, generated: generated, selfSigned: selfSigned)
        } catch {
            throw StartupError("cannot load the TLS certificate \(certificatePath) with key \(privateKeyPath): \(error)")
        }
    }

    /// The listen address goes into subjectAltName when it is a specific address, so clients
    /// that connect to it by address can verify the name.
    private static func extraAddresses(for configuration: ServerConfiguration) -> [String] {
        let host = configuration.listen.host
        switch host {
        case "0.0.0.0", "::", "127.0.0.1": return []
        default: return [host]
        }
    }
}
