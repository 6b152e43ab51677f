import Foundation
import Logging
import RingwayClient
import RingwayCrypto
import RingwayHTTP
import RingwayRuntime
import RingwayServer
import RingwayTLS
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory for the files of one test.
func temporaryDirectory() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ringway-server-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

let ephemeralLoopback = try! SocketAddress(host: "127.0.0.1", port: 0)

/// The system clock moved forward by a step a test controls.
final class OffsetClock: UnixClock {
    private let offset = Atomic<UInt64>(0)

    func unixMilliseconds() -> UInt64 {
        SystemUnixClock().unixMilliseconds() + offset.load(ordering: .relaxed)
    }

    func advance(milliseconds: UInt64) {
        offset.add(milliseconds, ordering: .relaxed)
    }
}

/// A server on its own loops, with the daemon's routes (plus any a test adds), and a loop for
/// the test's clients.
final class TestServer: Sendable {
    let node: RingwayNode
    let clientGroup: EventLoopGroup
    let log: LogOutput

    var group: EventLoopGroup { node.group }
    var server: HTTPServer { node.server }
    var configuration: ServerConfiguration { node.configuration }
    var identity: NodeIdentity { node.identity }
    var tls: TLSMaterial? { node.tls }
    var auth: AuthService { node.auth }
    var peers: PeerHub { node.peers }

    private init(node: RingwayNode, clientGroup: EventLoopGroup, log: LogOutput) {
        self.node = node
        self.clientGroup = clientGroup
        self.log = log
    }

    var address: SocketAddress { server.localAddress }
    var clientLoop: EventLoop { clientGroup.loops[0] }

    static func start(
        tls: Bool = false,
        logFormat: LogFormat = .text,
        authLimits: AuthLimits = AuthLimits(),
        peerSettings: PeerSessionSettings? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        routes: (inout Router) -> Void = { _ in },
        clock: any UnixClock = SystemUnixClock()
    ) async throws -> TestServer {
        var configuration = ServerConfiguration()
        configuration.listen = ephemeralLoopback
        configuration.tls = tls
        configuration.dataDirectory = try temporaryDirectory() + "/data"
        configuration.loopCount = 2
        configure(&configuration)
        let log = LogOutput.memory()
        let logger = RingwayLogHandler.logger(level: .trace, format: logFormat, output: log)
        let node = try await RingwayNode.start(
            configuration: configuration, logger: logger, clock: clock, authLimits: authLimits, peerSettings: peerSettings,
            routes: routes)
        let clientGroup = try EventLoopGroup(loopCount: 1)
        return TestServer(node: node, clientGroup: clientGroup, log: log)
    }

    /// A client connected to the server (over TLS when the server uses it, trusting its certificate).
    func connect(serverName: String = "localhost") async throws -> TestClient {
        let trust = try tls.map { try PEMFile.read($0.certificatePath) }
        return try await TestClient.connect(to: address, on: clientLoop, trusting: trust, serverName: serverName)
    }

    func stop() async {
        await server.beginShutdown()
        await peers.shutdown()
        await peers.events.shutdown()
        await server.shutdown(gracePeriod: .seconds(5))
        await group.shutdown()
        await clientGroup.shutdown()
    }
}

/// Runs `body` with a started server and always stops it.
func withServer<T>(
    tls: Bool = false,
    logFormat: LogFormat = .text,
    authLimits: AuthLimits = AuthLimits(),
    configure: (inout ServerConfiguration) -> Void = { _ in },
    peerSettings: PeerSessionSettings? = nil,
    routes: (inout Router) -> Void = { _ in },
    clock: any UnixClock = SystemUnixClock(),
    _ body: (TestServer) async throws -> T
) async throws -> T {
    let server = try await TestServer.start(
        tls: tls, logFormat: logFormat, authLimits: authLimits, peerSettings: peerSettings, configure: configure, routes: routes,
        clock: clock)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// A response as the test client read it.
struct ReceivedResponse: Sendable {
    var head: ResponseHead
    var body: [UInt8]

    var status: Int { head.status.code }
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { head.headers.first(name: name) }
}

/// An HTTP/1.1 client connection on one loop, over plain TCP or through the TLS engine.
/// Requests are written as raw text so tests control every byte.
actor TestClient {
    let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    private var transport: ClientTransport?
    private var parser = HTTPResponseParser()

    private init(loop: EventLoop) {
        self.loop = loop
    }

    static func connect(
        to address: SocketAddress, on loop: EventLoop, trusting certificatePEM: String? = nil, serverName: String = "localhost"
    ) async throws -> TestClient {
        let client = TestClient(loop: loop)
        try await client.open(address, trusting: certificatePEM, serverName: serverName)
        return client
    }

    private func open(_ address: SocketAddress, trusting certificatePEM: String?, serverName: String) async throws {
        transport = try await TestTransport.open(address, on: loop, trusting: certificatePEM, serverName: serverName)
    }

    /// The ALPN protocol the server chose (TLS only).
    var negotiatedALPN: String? { transport?.negotiatedALPN }

    /// Writes raw request bytes.
    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await transport!.write(bytes)
    }

    /// Reads the next final response (skipping 1xx unless `informational`), nil at end of stream.
    func readResponse(to method: HTTPMethod = .get, informational: Bool = false) async throws -> ReceivedResponse? {
        if !informational { parser.requestSent(method: method) }
        var head: ResponseHead?
        var body: [UInt8] = []
        while true {
            switch try parser.next() {
            case .informational(let interim):
                if informational { return ReceivedResponse(head: interim, body: []) }
            case .head(let final):
                head = final
            case .body(let bytes):
                body.append(contentsOf: bytes)
            case .trailers:
                continue
            case .end, .switchingProtocols:
                return head.map { ReceivedResponse(head: $0, body: body) }
            case .closed:
                return nil
            case .needMoreData:
                let bytes = try await receive()
                if bytes.isEmpty { parser.feedEOF() } else { parser.feed(bytes) }
            }
        }
    }

    /// Sends one request and reads its response.
    func request(_ method: HTTPMethod, _ target: String, headers: [String] = [], body: String = "") async throws -> ReceivedResponse {
        var text = "\(method.rawValue) \(target) HTTP/1.1\r\nHost: localhost\r\n"
        for header in headers { text += header + "\r\n" }
        if !body.isEmpty { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "\r\n" + body
        try await send(text)
        guard let response = try await readResponse(to: method) else { throw TestFailure("connection closed without a response") }
        return response
    }

    /// Bytes after the last response (after a 101) plus whatever arrives until `count` bytes are in.
    func readRaw(count: Int) async throws -> [UInt8] {
        var bytes = parser.takeUnconsumedBytes()
        while bytes.count < count {
            let more = try await receive()
            if more.isEmpty { break }
            bytes.append(contentsOf: more)
        }
        return bytes
    }

    /// True when the server ends the stream without sending anything more.
    func readsEndOfStream() async throws -> Bool {
        do {
            return try await receive().isEmpty
        } catch let error as IOError where error.errno == ECONNRESET {
            return true
        }
    }

    func close() async {
        await transport?.close()
    }

    // MARK: Transport

    /// Plaintext received next; empty at end of stream.
    private func receive() async throws -> [UInt8] {
        var bytes: [UInt8] = []
        _ = try await transport!.read(into: &bytes)
        return bytes
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Connects twice to `server`, whose connection cap allows one: the second connection gets
/// `429 RATE_LIMITED` with `Retry-After: 1` and is closed, the first is still served. Returns the first.
func expectSecondConnectionRefused(_ server: TestServer, sourceLocation: SourceLocation = #_sourceLocation) async throws -> TestClient {
    let first = try await server.connect()
    #expect(try await first.request(.get, "/healthz").status == 200, sourceLocation: sourceLocation)
    let second = try await server.connect()
    let refused = try #require(try await second.readResponse(), sourceLocation: sourceLocation)
    #expect(refused.status == 429, sourceLocation: sourceLocation)
    #expect(refused.header("Retry-After") == "1", sourceLocation: sourceLocation)
    #expect(refused.header("Connection") == "close", sourceLocation: sourceLocation)
    #expect(refused.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
    #expect(refused.text.contains(#""code":"RATE_LIMITED""#), sourceLocation: sourceLocation)
    #expect(try await second.readsEndOfStream(), sourceLocation: sourceLocation)
    await second.close()
    #expect(try await first.request(.get, "/healthz").status == 200, sourceLocation: sourceLocation)
    return first
}
