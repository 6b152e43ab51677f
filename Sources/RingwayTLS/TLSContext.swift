import CRingwayOpenSSL

/// Immutable TLS settings with loaded certificates, shared by many ``TLSConnection``s.
///
/// Create one per configuration at startup and share it across threads; creating connections
/// from it concurrently is safe.
// The OpenSSL SSL_CTX is configured in init only and never mutated afterwards; OpenSSL documents
// SSL_new on a shared, no-longer-modified SSL_CTX as thread-safe.
public final class TLSContext: @unchecked Sendable {
    /// The configuration this context was built from.
    public let configuration: TLSConfiguration
    let handle: OpaquePointer

    /// Builds a context, loading certificates, keys and trust roots now.
    /// - Throws: ``TLSError`` of kind ``TLSError/Kind/configuration`` with OpenSSL's reason.
    public init(configuration: TLSConfiguration) throws(TLSError) {
        try Self.validate(configuration)
        OpenSSLErrorQueue.clear()
        guard let handle = rw_tls_ctx_new(
            configuration.role == .server ? 1 : 0,
            Int32(configuration.minimumVersion.rawValue),
            Int32(configuration.maximumVersion.rawValue)
        ) else {
            throw OpenSSLErrorQueue.error(.configuration, "creating the context")
        }
        self.handle = handle
        self.configuration = configuration
        // `self` is fully initialised: a throw below runs deinit, which frees `handle`.
        try configure()
    }

    deinit {
        rw_tls_ctx_free(handle)
    }

    private static func validate(_ configuration: TLSConfiguration) throws(TLSError) {
        func fail(_ reason: String) -> TLSError {
            TLSError(kind: .configuration, operation: "validating the configuration", reason: reason)
        }
        guard configuration.minimumVersion <= configuration.maximumVersion else {
            throw fail("minimumVersion is above maximumVersion")
        }
        if configuration.role == .server,
           configuration.certificateChain == nil || configuration.privateKey == nil {
            throw fail("a server needs a certificate chain and a private key")
        }
        for name in configuration.alpnProtocols where name.utf8.isEmpty || name.utf8.count > 255 {
            throw fail("ALPN protocol names must be 1 to 255 bytes long: \"\(name)\"")
        }
        guard configuration.maxBufferedCiphertext > 0 else {
            throw fail("maxBufferedCiphertext must be positive")
        }
        guard !configuration.keyExchangeGroups.isEmpty else {
            throw fail("keyExchangeGroups must not be empty")
        }
    }

    private func configure() throws(TLSError) {
        try check(
            configuration.keyExchangeGroups.joined(separator: ":").withCString { rw_tls_ctx_set_groups(handle, $0) },
            "setting the key exchange groups \(configuration.keyExchangeGroups)"
        )
        if !configuration.alpnProtocols.isEmpty {
            var wire: [UInt8] = []
            for name in configuration.alpnProtocols {
                wire.append(UInt8(name.utf8.count))
                wire.append(contentsOf: name.utf8)
            }
            try check(
                wire.withUnsafeBufferPointer { rw_tls_ctx_set_alpn(handle, $0.baseAddress, $0.count) },
                "setting the ALPN protocols"
            )
        }
        if let chain = configuration.certificateChain {
            try load(chain, "loading the certificate chain", file: rw_tls_ctx_use_chain_file, pem: rw_tls_ctx_use_chain_pem)
        }
        if let key = configuration.privateKey {
            try load(key, "loading the private key", file: rw_tls_ctx_use_key_file, pem: rw_tls_ctx_use_key_pem)
        }
        guard configuration.role == .client else { return }
        rw_tls_ctx_set_verify(handle, configuration.certificateVerification == .none ? 0 : 1)
        switch configuration.trustRoots {
        case .systemDefault:
            try check(rw_tls_ctx_trust_default(handle), "loading the system trust store")
        case .certificates(let source):
            try load(source, "loading the trust roots", file: rw_tls_ctx_trust_file, pem: rw_tls_ctx_trust_pem)
        }
    }

    private func load(
        _ source: PEMSource,
        _ operation: String,
        file: (OpaquePointer?, UnsafePointer<CChar>?) -> Int32,
        pem: (OpaquePointer?, UnsafePointer<UInt8>?, Int) -> Int32
    ) throws(TLSError) {
        switch source {
        case .file(let path):
            try check(path.withCString { file(handle, $0) }, "\(operation) from \(path)")
        case .pem(var text):
            try check(text.withUTF8 { pem(handle, $0.baseAddress, $0.count) }, "\(operation) from PEM text")
        }
    }

    private func check(_ result: Int32, _ operation: @autoclosure () -> String) throws(TLSError) {
        if result != 1 {
            throw OpenSSLErrorQueue.error(.configuration, operation())
        }
    }
}
