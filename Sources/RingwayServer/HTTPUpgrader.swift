import RingwayHTTP
import RingwayRuntime

/// Decides whether a request may switch protocols (the WebSocket handshake goes here): the
/// route for `/ws/v1/peers` is an upgrader.
///
/// The connection calls ``upgrade(_:context:)`` after the whole request has been read. To accept,
/// return the `101` head and the session to run; the connection writes the head, then runs the
/// session on the same loop with the bytes that followed the request, and closes the connection
/// when the session returns. To refuse (a missing token is a 401 before the upgrade), return the
/// response; the connection then goes on with HTTP.
public protocol HTTPUpgrader: Sendable {
    /// Accepts or refuses the upgrade `request`.
    func upgrade(_ request: HTTPRequest, context: RequestContext) async -> UpgradeDecision
}

/// The outcome of ``HTTPUpgrader/upgrade(_:context:)``.
public enum UpgradeDecision: Sendable {
    /// Write `head` (a `101 Switching Protocols`) and hand the connection to `session`.
    case accept(ResponseHead, any UpgradedSession)
    /// Answer with this response and stay on HTTP.
    case refuse(HTTPResponse)
}

/// A protocol session that owns a connection after an upgrade.
public protocol UpgradedSession: Sendable {
    /// Runs until the session ends. `isolation` is the connection's actor, on the connection's
    /// loop: `stream` may only be used from there.
    func run(on stream: UpgradedStream, context: RequestContext, isolation: isolated any Actor) async
}

/// The connection's byte stream after an upgrade (TLS already applied).
public final class UpgradedStream {
    private let stream: ConnectionStream
    private var initialBytes: [UInt8]

    init(stream: ConnectionStream, initialBytes: [UInt8]) {
        self.stream = stream
        self.initialBytes = initialBytes
    }

    /// The loop the stream runs on.
    public var loop: EventLoop { stream.loop }

    /// Appends received bytes to `buffer` and returns the count; 0 at the end of the stream.
    /// The first call returns the bytes that followed the upgrade request, if there were any.
    public func read(into buffer: inout [UInt8], isolation: isolated (any Actor)? = #isolation) async throws -> Int {
        if !initialBytes.isEmpty {
            let count = initialBytes.count
            buffer.append(contentsOf: initialBytes)
            initialBytes = []
            return count
        }
        return try await stream.read(into: &buffer)
    }

    /// Queues `bytes`; waits only while the client leaves more than the write limit unread.
    public func send(_ bytes: [UInt8], isolation: isolated (any Actor)? = #isolation) async throws {
        try await stream.send(bytes)
    }

    /// Queues `bytes` without waiting; throws `RuntimeError.writeBufferFull` when the client
    /// leaves more than the write limit unread.
    func sendNow(_ bytes: [UInt8]) throws {
        try stream.sendNow(bytes)
    }

    /// Bytes queued and not yet taken by the kernel.
    var bufferedWriteBytes: Int { stream.socket.bufferedWriteBytes }

    /// Waits until every byte sent so far is in the kernel.
    public func flush(isolation: isolated (any Actor)? = #isolation) async throws {
        try await stream.flush()
    }

    /// Closes the connection.
    public func close(isolation: isolated (any Actor)? = #isolation) async {
        await stream.close()
    }
}

@available(*, unavailable)
extension UpgradedStream: Sendable {}
