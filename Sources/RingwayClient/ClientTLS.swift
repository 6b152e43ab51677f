import RingwayTLS

/// How a client checks the server's certificate on `wss://` and `https://`.
public enum ClientTLSTrust: Sendable, Hashable {
    /// The system's trust store, with the host name checked.
    case system
    /// Only this certificate (or a chain ending at it), PEM text: for the daemon's self-signed
    /// certificate (`tls-cert.pem` in its data directory). The host name is checked.
    case certificate(pem: String)
    /// No verification at all: loopback development only.
    case insecureNoVerification

    /// A TLS client context that checks certificates this way.
    public func context() throws(ClientError) -> TLSContext {
        var configuration: TLSConfiguration
        switch self {
        case .system:
            configuration = .client(trustRoots: .systemDefault)
        case .certificate(let pem):
            configuration = .client(trustRoots: .certificates(.pem(pem)))
        case .insecureNoVerification:
            configuration = .client(trustRoots: .systemDefault)
            configuration.certificateVerification = .none
        }
        do {
            return try TLSContext(configuration: configuration)
        } catch {
            throw .connectionFailed("TLS setup: \(error)")
        }
    }
}
