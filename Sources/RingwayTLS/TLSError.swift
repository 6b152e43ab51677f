/// A TLS failure, carrying OpenSSL's own explanation.
///
/// Remote kinds (``isRemote``) mean the peer or the network misbehaved: close the connection
/// (after sending any pending ciphertext, which may hold an alert). Local kinds mean the
/// configuration or the caller is wrong.
public struct TLSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Sendable, Hashable {
        /// Local: a configuration value, certificate or key is unusable.
        case configuration
        /// Remote: the peer's certificate failed verification (untrusted, expired, name mismatch).
        case certificateVerification
        /// Remote: the handshake failed (alert from the peer, no common version, suite or ALPN,
        /// malformed handshake data).
        case handshakeFailed
        /// Remote: bad or undecryptable records after the handshake.
        case protocolViolation
        /// Remote: the transport ended without close_notify (possible truncation).
        case unexpectedEOF
        /// Local: the operation is not allowed in the connection's current state.
        case invalidState
        /// Local: more ciphertext was fed than ``TLSConfiguration/maxBufferedCiphertext`` allows.
        case bufferLimitExceeded
        /// Local: generating a certificate or computing a fingerprint failed.
        case certificate
        /// Local: reading or writing a file failed.
        case file
    }

    /// What went wrong.
    public var kind: Kind
    /// The step that failed, in words ("handshake", "loading the private key from key.pem").
    public var operation: String
    /// The OpenSSL error queue of the failing call, or another explanation when OpenSSL gave none.
    public var reason: String
    /// The certificate verification result ("self-signed certificate", "hostname mismatch") when
    /// ``kind`` is ``Kind/certificateVerification``.
    public var verifyResult: String?

    /// Creates an error.
    public init(kind: Kind, operation: String, reason: String, verifyResult: String? = nil) {
        self.kind = kind
        self.operation = operation
        self.reason = reason
        self.verifyResult = verifyResult
    }

    /// True for failures caused by the peer or the transport.
    public var isRemote: Bool {
        switch kind {
        case .certificateVerification, .handshakeFailed, .protocolViolation, .unexpectedEOF: true
        case .configuration, .invalidState, .bufferLimitExceeded, .certificate, .file: false
        }
    }

    public var description: String {
        var text = "TLS \(operation) failed: \(reason)"
        if let verifyResult {
            text += " (certificate verify result: \(verifyResult))"
        }
        return text
    }
}
