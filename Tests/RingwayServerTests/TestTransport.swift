import RingwayRuntime
import RingwayTLS

/// A test client's byte stream to the server: plain TCP, or TLS through the engine. It belongs to
/// the actor that opened it (pinned to the socket's loop) and is used only from there.
final class TestTransport {
    private let socket: TCPSocket
    private let tls: TLSConnection?

    private init(socket: sending TCPSocket, tls: TLSConnection?) {
        self.socket = socket
        self.tls = tls
    }

    /// Connects and, with `certificatePEM`, runs the TLS handshake trusting that certificate.
    static func open(
        _ address: SocketAddress, on loop: EventLoop, trusting certificatePEM: String?, serverName: String = "localhost",
        isolation: isolated (any Actor)? = #isolation
    ) async throws -> TestTransport {
        let socket = try await TCPSocket.connect(to: address, on: loop)
        guard let certificatePEM else { return TestTransport(socket: socket, tls: nil) }
        let context = try TLSContext(configuration: .client(trustRoots: .certificates(.pem(certificatePEM))))
        let transport = TestTransport(socket: socket, tls: try TLSConnection(context: context, serverName: serverName))
        try await transport.handshake()
        return transport
    }

    /// The ALPN protocol the server chose (TLS only).
    var negotiatedALPN: String? { tls?.negotiatedALPN }

    func write(_ bytes: [UInt8], isolation: isolated (any Actor)? = #isolation) async throws {
        guard let tls else { return try await socket.write(bytes) }
        try tls.writePlaintext(bytes)
        try await pushCiphertext()
    }

    /// Appends the plaintext received next to `buffer`; returns 0 at end of stream.
    func read(into buffer: inout [UInt8], isolation: isolated (any Actor)? = #isolation) async throws -> Int {
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
    }

    func close(isolation: isolated (any Actor)? = #isolation) async {
        await socket.close()
    }

    private func handshake(isolation: isolated (any Actor)? = #isolation) async throws {
        guard let tls else { return }
        while true {
            let state = try tls.handshake()
            try await pushCiphertext()
            switch state {
            case .established: return
            case .haveOutput: continue
            case .needMoreInput:
                guard try await receiveCiphertext() else { throw TestFailure("server closed during the TLS handshake") }
            case .closed: throw TestFailure("TLS closed during the handshake")
            case .failed(let error): throw error
            }
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
