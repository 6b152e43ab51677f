import RingwayRuntime
import RingwayTLS

/// The byte stream of one connection: the socket, with TLS in between when enabled. Plaintext
/// in, plaintext out; ciphertext moves through the socket here and nowhere else.
///
/// Loop-confined: use it only from the connection's actor.
final class ConnectionStream {
    let socket: TCPSocket
    private let tls: TLSConnection?
    private var ciphertextIn: [UInt8] = []
    private var ciphertextOut: [UInt8] = []
    private(set) var isClosed = false

    /// Largest plaintext handed out by one read.
    static let maxReadChunk = 64 << 10

    init(socket: TCPSocket, tls: TLSConnection?) {
        self.socket = socket
        self.tls = tls
    }

    var isTLS: Bool { tls != nil }
    var loop: EventLoop { socket.loop }

    /// Completes the TLS handshake (nothing to do without TLS).
    func handshake(isolation: isolated (any Actor)? = #isolation) async throws {
        guard let tls else { return }
        while true {
            let state: TLSHandshakeState
            do {
                state = try tls.handshake()
            } catch {
                // The pending ciphertext may hold an alert that tells the client why.
                try? await pushCiphertext()
                throw error
            }
            switch state {
            case .established:
                try await pushCiphertext()
                return
            case .haveOutput:
                try await pushCiphertext()
                try await socket.flush()
            case .needMoreInput:
                try await pushCiphertext()
                try await socket.flush()
                guard try await receiveCiphertext() else {
                    throw TLSError(kind: .unexpectedEOF, operation: "handshake", reason: "the client closed the connection")
                }
            case .closed:
                throw TLSError(kind: .handshakeFailed, operation: "handshake", reason: "the connection closed during the handshake")
            case .failed(let error):
                try? await pushCiphertext()
                throw error
            }
        }
    }

    /// Appends received plaintext to `buffer` and returns the count; 0 at the end of the stream
    /// (a TLS peer that closes without close_notify also ends the stream: HTTP framing tells a
    /// truncated message apart).
    func read(into buffer: inout [UInt8], isolation: isolated (any Actor)? = #isolation) async throws -> Int {
        guard let tls else { return try await socket.read(into: &buffer) }
        while true {
            let result: TLSReadResult
            do {
                result = try tls.readPlaintext(into: &buffer, maxBytes: Self.maxReadChunk)
            } catch {
                if error.kind == .unexpectedEOF { return 0 }
                throw error
            }
            // Reading can queue handshake or key-update messages.
            try await pushCiphertext()
            switch result {
            case .bytes(let count):
                return count
            case .closed:
                return 0
            case .needMoreInput:
                _ = try await receiveCiphertext()
            }
        }
    }

    /// Queues plaintext for sending without waiting, unless the socket already buffers more than
    /// its limit (a client that does not read): then it first waits for that to drain.
    func send(_ bytes: [UInt8], isolation: isolated (any Actor)? = #isolation) async throws {
        guard let tls else {
            try await enqueue(bytes)
            return
        }
        try tls.writePlaintext(bytes)
        try await pushCiphertext()
    }

    /// Queues plaintext without ever waiting: a client that leaves more than the write limit
    /// unread gets `RuntimeError.writeBufferFull` instead (the caller then drops it).
    func sendNow(_ bytes: [UInt8]) throws {
        guard let tls else {
            try bytes.withUnsafeBytes { try socket.enqueue($0) }
            return
        }
        try tls.writePlaintext(bytes)
        ciphertextOut.removeAll(keepingCapacity: true)
        tls.drainCiphertext(into: &ciphertextOut)
        try ciphertextOut.withUnsafeBytes { try socket.enqueue($0) }
    }

    /// Waits until every byte sent so far is in the kernel.
    func flush(isolation: isolated (any Actor)? = #isolation) async throws {
        try await socket.flush()
    }

    /// Sends close_notify (best effort, without waiting for a client that does not read) and
    /// closes the socket. Safe to call more than once.
    func close(isolation: isolated (any Actor)? = #isolation) async {
        guard !isClosed else { return }
        isClosed = true
        if let tls, tls.isHandshakeComplete {
            try? tls.shutdown()
            if tls.hasPendingCiphertext {
                ciphertextOut.removeAll(keepingCapacity: true)
                tls.drainCiphertext(into: &ciphertextOut)
                try? ciphertextOut.withUnsafeBytes { try socket.enqueue($0) }
            }
        }
        await socket.close()
    }

    /// Reads ciphertext from the socket into the TLS engine; false at the end of the stream.
    private func receiveCiphertext(isolation: isolated (any Actor)? = #isolation) async throws -> Bool {
        guard let tls else { return false }
        ciphertextIn.removeAll(keepingCapacity: true)
        let count = try await socket.read(into: &ciphertextIn)
        if count == 0 {
            tls.feedEndOfInput()
            return false
        }
        try ciphertextIn.withUnsafeBytes { try tls.feedCiphertext($0) }
        return true
    }

    private func pushCiphertext(isolation: isolated (any Actor)? = #isolation) async throws {
        guard let tls, tls.hasPendingCiphertext else { return }
        ciphertextOut.removeAll(keepingCapacity: true)
        tls.drainCiphertext(into: &ciphertextOut)
        try await enqueue(ciphertextOut)
    }

    private func enqueue(_ bytes: [UInt8], isolation: isolated (any Actor)? = #isolation) async throws {
        let buffered = socket.bufferedWriteBytes
        if buffered > 0, buffered + bytes.count > loop.configuration.maxBufferedWriteBytes {
            try await socket.flush()
        }
        try bytes.withUnsafeBytes { try socket.enqueue($0) }
    }
}

@available(*, unavailable)
extension ConnectionStream: Sendable {}
