/// Where PEM text comes from: a file or memory.
public enum PEMSource: Sendable, Hashable {
    /// A PEM file on disk, read when the context is created.
    case file(path: String)
    /// PEM text held in memory.
    case pem(String)
}

// PEM text may be a private key: printing a configuration must never reveal it.
extension PEMSource: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        switch self {
        case .file(let path): "file(\(path))"
        case .pem(let text): "pem(\(text.utf8.count) bytes)"
        }
    }

    public var debugDescription: String { description }
}

/// The certificates a client trusts when it verifies a server.
public enum TLSTrustRoots: Sendable, Hashable {
    /// The system's default store (on Debian, /etc/ssl/certs).
    case systemDefault
    /// Only these certificates (for example a self-signed server certificate).
    case certificates(PEMSource)
}

/// How a client checks the server's certificate.
public enum TLSCertificateVerification: Sendable, Hashable {
    /// The chain must lead to a trust root and the certificate must match the server name.
    case fullVerification
    /// The chain must lead to a trust root; the name is not checked.
    case noHostnameVerification
    /// Nothing is checked. For tests and local development only.
    case none
}
