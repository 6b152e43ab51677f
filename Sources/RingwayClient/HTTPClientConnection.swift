import RingwayEnvelope
import RingwayHTTP
import RingwayRuntime
import RingwayTLS

/// A response as the client read it.
public struct ClientResponse: Sendable {
    /// The status line and header fields.
    public var head: ResponseHead
    /// The whole body.
    public var body: [UInt8]

    /// The status code.
    public var status: Int { head.status.code }

    /// The error this response stands for: the contract's error body when it has one.
    public var error: ClientError {
        let decoded = body.withUnsafeBytes { HTTPErrorBody(decoding: $0) }
        let retryAfter = head.headers.first(name: "Retry-After").flatMap { Int($0) }
        return .httpError(
            status: status, code: decoded?.code, message: decoded?.message ?? String(decoding: body.prefix(200), as: UTF8.self),
            retryAfterSeconds: retryAfter)
    }
}

/// HTTP/1.1 requests over one kept-alive connection, one at a time. Belongs to the actor that
/// opened it (pinned to its loop).
// Safe: used only from tasks running on the loop of its socket (checked in debug builds), so never
// from two threads; the runtime requires that of its sockets anyway.
public final class HTTPClientConnection: @unchecked Sendable {
    /// Largest response body read.
    public static let maxResponseBodyBytes = 16 << 20

    private let transport: ClientTransport
    private let endpoint: ServerEndpoint
    private var parser: HTTPResponseParser
    private var closed = false

    private init(transport: ClientTransport, endpoint: ServerEndpoint) {
        self.transport = transport
        self.endpoint = endpoint
        var limits = HTTPParserLimits()
        limits.maxBodySize = Self.maxResponseBodyBytes
        self.parser = HTTPResponseParser(limits: limits)
    }

    /// Connects to `endpoint` (TLS with `tls` when the endpoint says so).
    public static func open(
        _ endpoint: ServerEndpoint, tls: TLSContext?, on loop: EventLoop, isolation: isolated (any Actor)? = #isolation
    ) async throws(ClientError) -> HTTPClientConnection {
        HTTPClientConnection(transport: try await ClientTransport.open(endpoint, tls: tls, on: loop), endpoint: endpoint)
    }

    /// Whether the server closed the connection (or a request failed on it).
    public var isClosed: Bool { closed }

    /// Sends one request and reads its response.
    public func request(
        _ method: HTTPMethod, _ target: String, headers: [(String, String)] = [], body: [UInt8] = [],
        isolation: isolated (any Actor)? = #isolation
    ) async throws(ClientError) -> ClientResponse {
        guard !closed else { throw .connectionFailed("the connection is closed") }
        var head = RequestHead(method: method, target: target)
        head.headers.add(name: "Host", value: endpoint.hostHeader)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        if !body.isEmpty, head.headers.first(name: "Content-Type") == nil {
            head.headers.add(name: "Content-Type", value: "application/json")
        }
        var bytes: [UInt8] = []
        do {
            try HTTPWriter.writeRequestHead(head, body: method == .get && body.isEmpty ? .none : .contentLength(body.count), into: &bytes)
        } catch {
            throw .invalidURL("cannot write the request for \(target): \(error)")
        }
        bytes.append(contentsOf: body)
        do {
            try await transport.write(bytes)
            parser.requestSent(method: method)
            return try await readResponse()
        } catch {
            closed = true
            await transport.close()
            throw error
        }
    }

    /// Closes the connection.
    public func close(isolation: isolated (any Actor)? = #isolation) async {
        closed = true
        await transport.close()
    }

    private func readResponse(isolation: isolated (any Actor)? = #isolation) async throws(ClientError) -> ClientResponse {
        var head: ResponseHead?
        var body: [UInt8] = []
        while true {
            let event: HTTPResponseParser.Event
            do {
                event = try parser.next()
            } catch {
                throw .protocolViolation("bad HTTP response: \(error)")
            }
            switch event {
            case .head(let final): head = final
            case .body(let bytes): body.append(contentsOf: bytes)
            case .informational, .trailers: continue
            case .switchingProtocols: throw .protocolViolation("unexpected 101 Switching Protocols")
            case .end:
                guard let head else { throw .protocolViolation("a response without a head") }
                if head.headers.first(name: "Connection")?.lowercased() == "close" { closed = true }
                return ClientResponse(head: head, body: body)
            case .closed:
                closed = true
                throw .connectionFailed("the server closed the connection without a response")
            case .needMoreData:
                var chunk: [UInt8] = []
                if try await transport.read(into: &chunk) == 0 { parser.feedEOF() } else { parser.feed(chunk) }
            }
        }
    }
}
