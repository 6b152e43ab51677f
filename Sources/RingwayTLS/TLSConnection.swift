import CRingwayOpenSSL

/// One TLS session over memory buffers, without I/O: the caller moves the bytes.
///
/// The loop that owns a connection:
/// 1. bytes received from the socket go to ``feedCiphertext(_:)`` (end of stream to
///    ``feedEndOfInput()``);
/// 2. ``handshake()`` until it reports ``TLSHandshakeState/established``, then
///    ``readPlaintext(into:maxBytes:)`` until it reports ``TLSReadResult/needMoreInput``;
/// 3. plaintext to send goes to ``writePlaintext(_:)-(UnsafeRawBufferPointer)``;
/// 4. after every call, ``drainCiphertext(into:maxBytes:)`` whatever is pending and send it —
///    even after an error, as it may hold an alert for the peer.
///
/// Use a connection from one thread at a time. A failure is final: every later call throws the
/// same error.
public final class TLSConnection {
    private enum Phase {
        case handshaking
        case established
        case abandoned
        case failed(TLSError)
    }

    /// The context this connection was created from.
    public let context: TLSContext
    let handle: OpaquePointer
    private let maxBufferedCiphertext: Int
    private let trimThreshold: Int
    private var phase = Phase.handshaking
    private var inputEnded = false

    /// Creates a connection in the role of `context`.
    /// - Parameter serverName: clients only: the host to reach, sent as SNI (unless it is an IP
    ///   address) and matched against the certificate under ``TLSCertificateVerification/fullVerification``,
    ///   where it is required. Servers ignore it.
    public init(context: TLSContext, serverName: String? = nil) throws(TLSError) {
        let configuration = context.configuration
        let isClient = configuration.role == .client
        let checkHost = isClient && configuration.certificateVerification == .fullVerification
        if checkHost, serverName?.isEmpty ?? true {
            throw TLSError(
                kind: .configuration, operation: "creating a connection",
                reason: "host name verification needs a serverName")
        }
        if let serverName, serverName.utf8.contains(0) {
            throw TLSError(
                kind: .configuration, operation: "creating a connection",
                reason: "serverName contains a NUL byte")
        }
        let created: OpaquePointer?
        if isClient, let serverName {
            created = serverName.withCString { rw_tls_conn_new(context.handle, $0, checkHost ? 1 : 0) }
        } else {
            created = rw_tls_conn_new(context.handle, nil, 0)
        }
        guard let created else {
            throw OpenSSLErrorQueue.error(.configuration, "creating a connection")
        }
        self.context = context
        self.handle = created
        self.maxBufferedCiphertext = configuration.maxBufferedCiphertext
        self.trimThreshold = configuration.bufferTrimThreshold
    }

    deinit {
        rw_tls_conn_free(handle)
    }

    // MARK: Ciphertext in

    /// Buffers ciphertext received from the peer; nothing is decrypted until ``handshake()`` or
    /// ``readPlaintext(into:maxBytes:)``.
    /// - Throws: ``TLSError/Kind/bufferLimitExceeded`` when more than
    ///   ``TLSConfiguration/maxBufferedCiphertext`` would be buffered (read plaintext first),
    ///   ``TLSError/Kind/invalidState`` after ``feedEndOfInput()``.
    public func feedCiphertext(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        if let error = feed(bytes) { throw error }
    }

    /// Buffers ciphertext received from the peer (see ``feedCiphertext(_:)-(UnsafeRawBufferPointer)``).
    public func feedCiphertext(_ bytes: some Sequence<UInt8>) throws(TLSError) {
        let error = bytes.withContiguousStorageIfAvailable { feed(UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { feed($0) }
        if let error { throw error }
    }

    private func feed(_ bytes: UnsafeRawBufferPointer) -> TLSError? {
        guard !inputEnded else {
            return invalidState("feeding ciphertext", "the input has already ended")
        }
        guard !bytes.isEmpty else { return nil }
        guard bytes.count <= maxBufferedCiphertext - bufferedCiphertextCount else {
            return TLSError(
                kind: .bufferLimitExceeded, operation: "feeding ciphertext",
                reason: "more than \(maxBufferedCiphertext) bytes of ciphertext would be buffered")
        }
        guard rw_tls_conn_feed(handle, bytes.baseAddress, bytes.count) == 1 else {
            return OpenSSLErrorQueue.error(.invalidState, "feeding ciphertext")
        }
        return nil
    }

    /// Records that the transport ended (the peer closed its side). A later read reports
    /// ``TLSReadResult/closed`` if close_notify came first, else ``TLSError/Kind/unexpectedEOF``.
    public func feedEndOfInput() {
        guard !inputEnded else { return }
        inputEnded = true
        rw_tls_conn_feed_eof(handle)
    }

    /// Ciphertext fed but not yet consumed.
    public var bufferedCiphertextCount: Int {
        rw_tls_conn_buffered_input(handle)
    }

    // MARK: Handshake

    /// Advances the handshake with the ciphertext fed so far and returns the new state; once
    /// established it only reports the state.
    /// - Throws: a remote ``TLSError`` (certificate verification, handshake failure, unexpected
    ///   EOF); pending ciphertext may still hold an alert to send.
    @discardableResult
    public func handshake() throws(TLSError) -> TLSHandshakeState {
        if case .failed(let error) = phase { throw error }
        if case .handshaking = phase {
            let status = rw_tls_conn_handshake(handle)
            switch status {
            case Status.ok: phase = .established
            case Status.wantRead: break
            default: throw failure(status, "handshake")
            }
            trim()
        }
        return handshakeState
    }

    /// The current state; see ``TLSHandshakeState``.
    public var handshakeState: TLSHandshakeState {
        if hasPendingCiphertext { return .haveOutput }
        switch phase {
        case .handshaking: return .needMoreInput
        case .established: return rw_tls_conn_shutdown_state(handle) != 0 ? .closed : .established
        case .abandoned: return .closed
        case .failed(let error): return .failed(error)
        }
    }

    /// True once the handshake has completed (and stays true after close_notify).
    public var isHandshakeComplete: Bool {
        if case .established = phase { return true }
        return false
    }

    // MARK: Plaintext

    /// Decrypts the available plaintext, up to `maxBytes`, and appends it to `buffer`. Drives the
    /// handshake first if it is still in progress.
    ///
    /// Call again while it returns ``TLSReadResult/bytes(_:)``. Reading may queue ciphertext
    /// (a TLS 1.3 key update answer): drain after reading.
    /// - Throws: a remote ``TLSError`` for corrupt records or a truncated stream.
    public func readPlaintext(into buffer: inout [UInt8], maxBytes: Int = .max) throws(TLSError) -> TLSReadResult {
        precondition(maxBytes > 0, "maxBytes must be positive")
        if let early = try readPreamble() { return early }
        var total = 0
        var status = Status.ok
        while total < maxBytes, status == Status.ok {
            // Plaintext is no larger than the decrypted remainder plus the buffered ciphertext,
            // so this sizes the append closely without asking OpenSSL.
            let estimate = rw_tls_conn_pending_plaintext(handle) + rw_tls_conn_buffered_input(handle)
            if estimate == 0, !inputEnded { break }
            let chunk = min(maxBytes - total, max(estimate, 256))
            total += buffer.appendBytes(upTo: chunk) { region in
                var read = 0
                status = rw_tls_conn_read(handle, region.baseAddress, region.count, &read)
                return read
            }
        }
        return try readOutcome(status, total)
    }

    /// Decrypts available plaintext into `buffer` (up to its size); see
    /// ``readPlaintext(into:maxBytes:)``.
    public func readPlaintext(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> TLSReadResult {
        precondition(!buffer.isEmpty, "buffer must not be empty")
        if let early = try readPreamble() { return early }
        var read = 0
        let status = rw_tls_conn_read(handle, buffer.baseAddress, buffer.count, &read)
        return try readOutcome(status, read)
    }

    private func readPreamble() throws(TLSError) -> TLSReadResult? {
        switch phase {
        case .failed(let error): throw error
        case .abandoned: return .closed
        case .handshaking:
            try handshake()
            if case .handshaking = phase { return .needMoreInput }
        case .established: break
        }
        if rw_tls_conn_shutdown_state(handle) & Int32(RW_TLS_RECEIVED_SHUTDOWN) != 0 { return .closed }
        return nil
    }

    private func readOutcome(_ status: Int32, _ total: Int) throws(TLSError) -> TLSReadResult {
        trim()
        switch status {
        case Status.ok, Status.wantRead:
            return total > 0 ? .bytes(total) : .needMoreInput
        case Status.closed:
            return total > 0 ? .bytes(total) : .closed
        default:
            // The failure is recorded either way; plaintext that preceded it is handed out first.
            let error = failure(status, "reading")
            if total > 0 { return .bytes(total) }
            throw error
        }
    }

    /// Encrypts all of `bytes` into pending ciphertext.
    /// - Throws: ``TLSError/Kind/invalidState`` before the handshake completes or after
    ///   ``shutdown()``.
    public func writePlaintext(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        switch phase {
        case .failed(let error): throw error
        case .handshaking, .abandoned:
            throw invalidState("writing", "the handshake has not completed")
        case .established:
            break
        }
        guard rw_tls_conn_shutdown_state(handle) & Int32(RW_TLS_SENT_SHUTDOWN) == 0 else {
            throw invalidState("writing", "close_notify has already been sent")
        }
        guard !bytes.isEmpty else { return }
        let status = rw_tls_conn_write(handle, bytes.baseAddress, bytes.count)
        if status != Status.ok { throw failure(status, "writing") }
    }

    /// Encrypts all of `bytes` (see ``writePlaintext(_:)-(UnsafeRawBufferPointer)``).
    public func writePlaintext(_ bytes: some Sequence<UInt8>) throws(TLSError) {
        let result = bytes.withContiguousStorageIfAvailable { write(UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { write($0) }
        if let result { throw result }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) -> TLSError? {
        do throws(TLSError) {
            try writePlaintext(bytes)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Ciphertext out

    /// Ciphertext waiting to be sent.
    public var pendingCiphertextCount: Int {
        rw_tls_conn_pending_output(handle)
    }

    /// True when ciphertext is waiting to be sent.
    public var hasPendingCiphertext: Bool {
        pendingCiphertextCount > 0
    }

    /// Appends up to `maxBytes` of pending ciphertext to `buffer` and returns the count.
    @discardableResult
    public func drainCiphertext(into buffer: inout [UInt8], maxBytes: Int = .max) -> Int {
        let count = min(pendingCiphertextCount, maxBytes)
        guard count > 0 else { return 0 }
        let drained = buffer.appendBytes(upTo: count) { rw_tls_conn_drain(handle, $0.baseAddress, $0.count) }
        trim()
        return drained
    }

    /// Moves pending ciphertext into `buffer` (up to its size) and returns the count.
    public func drainCiphertext(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard !buffer.isEmpty else { return 0 }
        let drained = rw_tls_conn_drain(handle, buffer.baseAddress, buffer.count)
        trim()
        return drained
    }

    // MARK: Closing

    /// Queues close_notify (once). Reading stays possible until the peer's close_notify arrives.
    /// During the handshake nothing is sent and the connection is abandoned; after a failure this
    /// does nothing.
    public func shutdown() throws(TLSError) {
        switch phase {
        case .failed, .abandoned:
            return
        case .handshaking:
            phase = .abandoned
        case .established:
            guard !isCloseNotifySent else { return }
            let status = rw_tls_conn_shutdown(handle)
            if status != Status.ok { throw failure(status, "sending close_notify") }
        }
    }

    /// True once this side has queued close_notify.
    public var isCloseNotifySent: Bool {
        rw_tls_conn_shutdown_state(handle) & Int32(RW_TLS_SENT_SHUTDOWN) != 0
    }

    /// True once the peer's close_notify has been read.
    public var isCloseNotifyReceived: Bool {
        rw_tls_conn_shutdown_state(handle) & Int32(RW_TLS_RECEIVED_SHUTDOWN) != 0
    }

    // MARK: Helpers

    private func failure(_ status: Int32, _ operation: String) -> TLSError {
        // Read the queue first: it belongs to the call that just failed.
        let queue = OpenSSLErrorQueue.drain()
        var kind: TLSError.Kind
        var reason = queue
        var verifyResult: String?
        switch status {
        case Status.eof:
            kind = .unexpectedEOF
            reason = "the peer closed the transport without close_notify; " + queue
        case Status.closed:
            kind = .handshakeFailed
            reason = "the peer sent close_notify during the handshake"
        default:
            if rw_tls_conn_verify_failed(handle) != 0 {
                kind = .certificateVerification
                verifyResult = String(cString: rw_tls_conn_verify_result(handle))
            } else if case .handshaking = phase {
                kind = .handshakeFailed
            } else {
                kind = .protocolViolation
            }
        }
        let error = TLSError(kind: kind, operation: operation, reason: reason, verifyResult: verifyResult)
        phase = .failed(error)
        return error
    }

    private func invalidState(_ operation: String, _ reason: String) -> TLSError {
        TLSError(kind: .invalidState, operation: operation, reason: reason)
    }

    private func trim() {
        rw_tls_conn_trim(handle, trimThreshold)
    }
}

@available(*, unavailable)
extension TLSConnection: Sendable {}

/// The C status codes as `Int32` (C enum members import as `Int`).
private enum Status {
    static let ok = Int32(RW_TLS_OK)
    static let wantRead = Int32(RW_TLS_WANT_READ)
    static let closed = Int32(RW_TLS_CLOSED)
    static let eof = Int32(RW_TLS_EOF)
}
