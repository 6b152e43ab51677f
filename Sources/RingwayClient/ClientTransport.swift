import RingwayRuntime
import RingwayTLS

/// A client's byte stream to a server: plain TCP, or TLS through the engine. It belongs to the
/// actor that opened it (pinned to the socket's loop) and is used only from there.
// Safe: used only from tasks running on the loop of its socket (checked in debug builds), so never
// from two threads; the runtime requires that of its sockets anyway.
public final class ClientTransport: @unchecked Sendable {
    private let socket: TCPSocket
    private let tls: TLSConnection?
    private let loop: EventLoop
    /// Scratch for the ciphertext of a queued send.
    private var ciphertext: [UInt8] = []

    private init(socket: sending TCPSocket, tls: TLSConnection?, loop: EventLoop) {
        self.socket = socket
        self.tls = tls
        self.loop = loop
    }

    /// Connects to `endpoint` and, for TLS, runs the handshake with `context` (server name
    /// `serverName`, sent as SNI unless it is an IP literal).
    public static func open(
        _ endpoint: ServerEndpoint, tls context: TLSContext?, on loop: EventLoop,
        isolation: isolated (any Actor)? = #isolation
    ) async throws(ClientError) -> ClientTransport {
        let socket: TCPSocket
        do {
            socket = try await TCPSocket.connect(to: endpoint.address, on: loop)
        } catch {
            throw .connectionFailed("\(endpoint.address): \(error)")
        }
        guard endpoint.tls, let context else { return ClientTransport(socket: socket, tls: nil, loop: loop) }
        let connection: TLSConnection
        do {
            connection = try TLSConnection(context: context, serverName: endpoint.host)
        } catch {
            await socket.close()
            throw .connectionFailed("TLS setup: \(error)")
        }
        let transport = ClientTransport(socket: socket, tls: connection, loop: loop)
        do {
            try await transport.handshake()
        } catch {
            await transport.close()
            throw error
        }
        return transport
    }

    /// The ALPN protocol the server chose (TLS only).
    public var negotiatedALPN: String? { tls?.negotiatedALPN }

    /// Sends `bytes` (encrypted on TLS) and waits until the kernel took them.
    public func write(_ bytes: [UInt8], isolation: isolated (any Actor)? = #isolation) async throws(ClientError) {
        assert(loop.inLoop, "a client transport is used on its loop only")
        do {
            guard let tls else { return try await socket.write(bytes) }
            try tls.writePlaintext(bytes)
            try await pushCiphertext()
        } catch let error as ClientError {
            throw error
        } catch {
            throw .connectionFailed("\(error)")
        }
    }

    /// Bytes queued on the socket beyond which ``send(_:isolation:)`` waits for the kernel.
    static let sendQueueLimit = 256 * 1024

    /// Queues `bytes` (encrypted on TLS) to go out with whatever else is written before the loop
    /// next submits, without waiting for the kernel; waits only while more than
    /// ``sendQueueLimit`` bytes are still queued. A failure of an earlier send is thrown here
    /// or by the next read.
    public func send(_ bytes: [UInt8], isolation: isolated (any Actor)? = #isolation) async throws(ClientError) {
        assert(loop.inLoop, "a client transport is used on its loop only")
        do {
            if socket.bufferedWriteBytes + bytes.count > Self.sendQueueLimit { try await socket.flush() }
            guard let tls else {
                try bytes.withUnsafeBytes { try socket.enqueue($0) }
                return
            }
            try tls.writePlaintext(bytes)
            guard tls.hasPendingCiphertext else { return }
            ciphertext.removeAll(keepingCapacity: true)
            tls.drainCiphertext(into: &ciphertext)
            try ciphertext.withUnsafeBytes { try socket.enqueue($0) }
        } catch let error as ClientError {
            throw error
        } catch {
            throw .connectionFailed("\(error)")
        }
    }

    /// Appends the plaintext received next to `buffer`; returns 0 at end of stream.
    public func read(into buffer: inout [UInt8], isolation: isolated (any Actor)? = #isolation) async throws(ClientError) -> Int {
        assert(loop.inLoop, "a client transport is used on its loop only")
        do {
            guard let tls else { return try await socket.read(into: &buffer) }
            while true {
                let result: TLSReadResult
                do {
                    result = try tls.readPlaintext(into: &buffer)
                } catch {
                    if error.kind == .unexpectedEOF { return 0 }
                    throw error
                }
                try await pushCiphertext()
                switch result {
                case .bytes(let count): return count
                case .closed: return 0
                case .needMoreInput: if try await !receiveCiphertext() { return 0 }
                }
            }
        } catch let error as ClientError {
            throw error
        } catch {
            throw .connectionFailed("\(error)")
        }
    }

    /// Closes the connection (idempotent).
    public func close(isolation: isolated (any Actor)? = #isolation) async {
        await socket.close()
    }

    private func handshake(isolation: isolated (any Actor)? = #isolation) async throws(ClientError) {
        guard let tls else { return }
        do {
            while true {
                let state = try tls.handshake()
                try await pushCiphertext()
                switch state {
                case .established: return
                case .haveOutput: continue
                case .needMoreInput:
                    guard try await receiveCiphertext() else { throw ClientError.connectionFailed("the server closed during the TLS handshake") }
                case .closed: throw ClientError.connectionFailed("TLS closed during the handshake")
                case .failed(let error): throw ClientError.connectionFailed("TLS handshake: \(error)")
                }
            }
        } catch let error as ClientError {
            throw error
        } catch {
            throw .connectionFailed("TLS handshake: \(error)")
        }
    }

    private func receiveCiphertext(isolation: isolated (any Actor)? = #isolation) async throws -> Bool {
        var bytes: [UInt8] = []
        if try await socket.read(into: &bytes) == 0 {
            tls?.feedEndOfInput()
            return false
        }
        try tls?.feedCiphertext(bytes)
        return true
    }

    private func pushCiphertext(isolation: isolated (any Actor)? = #isolation) async throws {
        guard let tls, tls.hasPendingCiphertext else { return }
        var bytes: [UInt8] = []
        tls.drainCiphertext(into: &bytes)
        try await socket.write(bytes)
    }
}
