/// The settings a ``TLSContext`` is built from.
///
/// Fixed, not configurable: session cache and session tickets are off (no resumption, less idle
/// memory), compression and renegotiation are off, idle connections release their buffers, TLS 1.2
/// uses forward-secret AEAD suites only, and servers never ask for client certificates.
public struct TLSConfiguration: Sendable, Hashable {
    /// Which side of the handshake a context serves.
    public enum Role: Sendable, Hashable {
        case server
        case client
    }

    /// Server or client.
    public var role: Role
    /// The certificate chain, leaf first (servers).
    public var certificateChain: PEMSource?
    /// The unencrypted private key of the leaf certificate (servers).
    public var privateKey: PEMSource?
    /// The roots a client verifies the server against.
    public var trustRoots: TLSTrustRoots
    /// How much of the server's certificate a client checks.
    public var certificateVerification: TLSCertificateVerification
    /// The lowest version accepted; never below TLS 1.2.
    public var minimumVersion: TLSVersion
    /// The highest version offered or accepted.
    public var maximumVersion: TLSVersion
    /// ALPN protocol names in preference order: a client offers them, a server picks the first of
    /// its list the client offers (and refuses the handshake when the client offers only others).
    /// Empty turns ALPN off.
    public var alpnProtocols: [String]
    /// Key exchange groups in preference order (OpenSSL names).
    public var keyExchangeGroups: [String]
    /// Ciphertext a connection holds fed but not yet decrypted; ``TLSConnection/feedCiphertext(_:)``
    /// refuses input beyond it until plaintext is read.
    public var maxBufferedCiphertext: Int
    /// An idle connection whose empty input or output buffer grew beyond this releases it.
    public var bufferTrimThreshold: Int

    /// The ALPN protocol of HTTP/1.1.
    public static let http11 = "http/1.1"

    /// A configuration with every field given; the `server` and `client` factories are shorter.
    public init(
        role: Role,
        certificateChain: PEMSource? = nil,
        privateKey: PEMSource? = nil,
        trustRoots: TLSTrustRoots = .systemDefault,
        certificateVerification: TLSCertificateVerification = .fullVerification,
        minimumVersion: TLSVersion = .v1_2,
        maximumVersion: TLSVersion = .v1_3,
        alpnProtocols: [String] = [TLSConfiguration.http11],
        keyExchangeGroups: [String] = ["X25519", "P-256"],
        maxBufferedCiphertext: Int = 1 << 20,
        bufferTrimThreshold: Int = 64 << 10
    ) {
        self.role = role
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.trustRoots = trustRoots
        self.certificateVerification = certificateVerification
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
        self.alpnProtocols = alpnProtocols
        self.keyExchangeGroups = keyExchangeGroups
        self.maxBufferedCiphertext = maxBufferedCiphertext
        self.bufferTrimThreshold = bufferTrimThreshold
    }

    /// A server presenting `certificateChain` with `privateKey`, selecting ALPN `http/1.1`.
    public static func server(certificateChain: PEMSource, privateKey: PEMSource) -> TLSConfiguration {
        TLSConfiguration(role: .server, certificateChain: certificateChain, privateKey: privateKey)
    }

    /// A client verifying servers against `trustRoots` (host name included), offering `http/1.1`.
    public static func client(trustRoots: TLSTrustRoots = .systemDefault) -> TLSConfiguration {
        TLSConfiguration(role: .client, trustRoots: trustRoots)
    }
}
