/// Where a ``TLSConnection`` stands, as the caller needs to act on it.
///
/// ``haveOutput`` takes precedence over every other state: whatever the connection is doing,
/// pending ciphertext (handshake messages, an alert, close_notify) must be sent first.
public enum TLSHandshakeState: Sendable, Hashable {
    /// The handshake is in progress and waits for ciphertext from the peer.
    case needMoreInput
    /// Ciphertext is waiting: drain it with ``TLSConnection/drainCiphertext(into:maxBytes:)``,
    /// send it, then look again.
    case haveOutput
    /// The handshake completed; application data flows both ways.
    case established
    /// close_notify was sent or received, or the connection was shut down during the handshake.
    case closed
    /// The connection failed with this error; send any pending ciphertext (an alert), then close.
    case failed(TLSError)
}

/// The outcome of ``TLSConnection/readPlaintext(into:maxBytes:)``.
public enum TLSReadResult: Sendable, Hashable {
    /// This many plaintext bytes were read (always more than 0). More may be available.
    case bytes(Int)
    /// No plaintext is available until more ciphertext is fed (or the handshake progresses).
    case needMoreInput
    /// The peer sent close_notify: every byte it sent before it has been read.
    case closed
}
