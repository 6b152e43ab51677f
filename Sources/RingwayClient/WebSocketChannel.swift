import RingwayCrypto
import RingwayHTTP
import RingwayRuntime
import RingwayTLS
import RingwayWebSocket

/// What a WebSocket channel read next.
public enum ChannelFrame: Sendable, Equatable {
    /// A text message (one envelope).
    case text([UInt8])
    /// A binary message (not used by the protocol).
    case binary([UInt8])
    /// The connection ended: the close code (1006 when it just ended) and reason.
    case closed(code: UInt16, reason: String)
}

/// The client side of one WebSocket connection: upgrade, masked frames out, frames in, pings
/// answered. Belongs to the actor that opened it (pinned to its loop).
// Safe: used only from tasks running on the loop of its socket (checked in debug builds), so never
// from two threads; the runtime requires that of its sockets anyway.
public final class WebSocketChannel: @unchecked Sendable {
    private let transport: ClientTransport
    private var websocket: WebSocketConnection
    private var outbound: [UInt8] = []
    private var ended = false

    private init(transport: ClientTransport, maxMessageBytes: Int) {
        self.transport = transport
        self.websocket = WebSocketConnection(role: .client, configuration: WebSocketConfiguration(
            maxFrameSize: maxMessageBytes, maxMessageSize: maxMessageBytes, maxBufferedBytes: 4 * maxMessageBytes + (1 << 20)))
    }

    /// Connects and upgrades `target` (path and query) with `headers`. A refused upgrade throws
    /// ``ClientError/httpError(status:code:message:retryAfterSeconds:)`` with the server's answer.
    public static func open(
        _ endpoint: ServerEndpoint, target: String, headers: [(String, String)], tls: TLSContext?, maxMessageBytes: Int,
        on loop: EventLoop, isolation: isolated (any Actor)? = #isolation
    ) async throws(ClientError) -> WebSocketChannel {
        let transport = try await ClientTransport.open(endpoint, tls: tls, on: loop)
        let channel = WebSocketChannel(transport: transport, maxMessageBytes: maxMessageBytes)
        do {
            try await channel.upgrade(endpoint: endpoint, target: target, headers: headers)
        } catch {
            await transport.close()
            throw error
        }
        return channel
    }

    private func upgrade(
        endpoint: ServerEndpoint, target: String, headers: [(String, String)], isolation: isolated (any Actor)? = #isolation
    ) async throws(ClientError) {
        var extra = HTTPHeaders()
        for (name, value) in headers { extra.add(name: name, value: value) }
        let handshake = WebSocketClientHandshake(
            host: endpoint.hostHeader, target: target, key: SecureRandom.bytes(count: 16), additionalHeaders: extra)
        var request: [UInt8] = []
        do {
            try handshake.writeRequest(into: &request)
        } catch {
            throw .invalidURL("cannot write the upgrade request: \(error)")
        }
        try await transport.write(request)
        var parser = HTTPResponseParser()
        parser.requestSent(method: .get)
        var head: ResponseHead?
        var body: [UInt8] = []
        while true {
            let event: HTTPResponseParser.Event
            do {
                event = try parser.next()
            } catch {
                throw .protocolViolation("bad upgrade response: \(error)")
            }
            switch event {
            case .head(let final): head = final
            case .body(let bytes): body.append(contentsOf: bytes)
            case .informational, .trailers: continue
            case .switchingProtocols:
                guard let head else { throw .protocolViolation("101 without a head") }
                do {
                    _ = try handshake.validate(head)
                } catch {
                    throw .protocolViolation("bad upgrade response: \(error)")
                }
                websocket.feed(parser.takeUnconsumedBytes())
                return
            case .end:
                guard let head else { throw .protocolViolation("a response without a head") }
                // A 101 ends its (empty) body, then the parser reports the switch.
                if head.status.code == 101 { continue }
                throw ClientResponse(head: head, body: body).error
            case .closed:
                throw .connectionFailed("the server closed the connection during the upgrade")
            case .needMoreData:
                var bytes: [UInt8] = []
                if try await transport.read(into: &bytes) == 0 { parser.feedEOF() } else { parser.feed(bytes) }
            }
        }
    }

    /// Sends one text message: queued on the connection (see ``ClientTransport/send(_:isolation:)``),
    /// so a failure may surface at a later send or read.
    public func sendText(_ bytes: [UInt8], isolation: isolated (any Actor)? = #isolation) async throws(ClientError) {
        outbound.removeAll(keepingCapacity: true)
        do {
            try websocket.writeText(bytes, mask: Self.freshMask(), into: &outbound)
        } catch {
            throw .closed(code: 1006, reason: "\(error)")
        }
        // Queued, not awaited: frames written together leave in one send.
        try await transport.send(outbound)
    }

    /// Sends a ping (the server's pong counts as activity).
    public func sendPing(isolation: isolated (any Actor)? = #isolation) async throws(ClientError) {
        outbound.removeAll(keepingCapacity: true)
        do {
            try websocket.writePing([], mask: Self.freshMask(), into: &outbound)
        } catch {
            throw .closed(code: 1006, reason: "\(error)")
        }
        try await transport.write(outbound)
    }

    /// The next data message or the end of the connection. Pings are answered on the way.
    public func next(isolation: isolated (any Actor)? = #isolation) async -> ChannelFrame {
        while true {
            if let frame = await nextOrPong() { return frame }
        }
    }

    /// Like ``next()``, but answers nil when a pong arrives (the server has read everything sent
    /// before the ping it answers).
    func nextOrPong(isolation: isolated (any Actor)? = #isolation) async -> ChannelFrame? {
        while true {
            switch websocket.next() {
            case .text(let bytes): return .text(Array(bytes))
            case .binary(let bytes): return .binary(Array(bytes))
            case .close(let code, let reason):
                await flushAutomaticReplies()
                return .closed(code: code.rawValue, reason: reason)
            case .protocolError(let code):
                await flushAutomaticReplies()
                return .closed(code: code.rawValue, reason: "protocol error")
            case .finished:
                return .closed(code: 1006, reason: "")
            case .ping:
                await flushAutomaticReplies()
            case .pong:
                await flushAutomaticReplies()
                return nil
            case .needMoreData:
                await flushAutomaticReplies()
                // A fresh array, handed over whole: an idle channel holds no buffer.
                var inbound: [UInt8] = []
                do {
                    if try await transport.read(into: &inbound) == 0 { websocket.feedEOF() } else { websocket.feed(consume inbound) }
                } catch {
                    return .closed(code: 1006, reason: "\(error)")
                }
            }
        }
    }

    /// Sends a close frame with `code` (if the connection is still up) and closes.
    public func close(code: WebSocketCloseCode = .normalClosure, reason: String = "", isolation: isolated (any Actor)? = #isolation) async {
        guard !ended else { return }
        ended = true
        outbound.removeAll(keepingCapacity: true)
        if (try? websocket.close(code: code, reason: reason, mask: Self.freshMask(), into: &outbound)) != nil, !outbound.isEmpty {
            try? await transport.write(outbound)
        }
        await transport.close()
    }

    /// Closes the socket at once (the connection is considered dead).
    public func abort(isolation: isolated (any Actor)? = #isolation) async {
        ended = true
        await transport.close()
    }

    /// A masking key for one client frame (RFC 6455 §5.3: fresh and unpredictable).
    private static func freshMask() -> WebSocketMask {
        WebSocketMask(SecureRandom.bytes(count: 4))
    }

    private func flushAutomaticReplies(isolation: isolated (any Actor)? = #isolation) async {
        guard websocket.hasPendingOutbound else { return }
        outbound.removeAll(keepingCapacity: true)
        websocket.drainOutbound(into: &outbound, maskingKey: Self.freshMask)
        try? await transport.write(outbound)
    }
}
