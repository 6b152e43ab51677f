import Logging
import RingwayHTTP
import RingwayRuntime
import RingwayTLS

/// One client connection: TLS handshake, then HTTP/1.1 requests in order (keep-alive and
/// pipelining), until the client or a timeout ends it, or it switches protocols.
///
/// The actor runs on the loop that accepted the socket, so every step of the connection (socket,
/// TLS, parsing, the route handlers) stays on that loop's thread.
actor HTTPConnection {
    nonisolated let loop: EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    nonisolated let id: UInt64

    /// Where the connection stands; the watchdog and draining act on it.
    enum Phase: String, Sendable {
        case handshake
        /// Waiting for the first byte of a request, nothing buffered.
        case idle
        case reading
        case processing
        case writing
        case upgraded
    }

    private let server: ServerContext
    private let stream: ConnectionStream
    private let remoteAddress: SocketAddress?
    private var logger: Logger
    private var parser: HTTPRequestParser
    private var phase = Phase.handshake
    /// When the watchdog closes the connection; nil while a route handler or an upgraded
    /// session runs (they bound their own time).
    private var deadline: ContinuousClock.Instant?
    /// The end of the time allowed for the request being read.
    private var requestDeadline: ContinuousClock.Instant?
    private var draining = false
    /// Set when the watchdog starts closing the connection.
    private var timedOut = false
    private var requestCount = 0
    private var inbound: [UInt8] = []
    private var outbound: [UInt8] = []
    private var dates = HTTPDateCache()
    /// The session that takes the connection over once the request that switched protocols is
    /// answered (see `run`).
    private var upgrade: Upgrade?

    private struct Upgrade {
        let session: any UpgradedSession
        let stream: UpgradedStream
        let context: RequestContext
    }

    init(id: UInt64, socket: sending TCPSocket, tls: sending TLSConnection?, server: ServerContext) {
        self.id = id
        self.loop = socket.loop
        self.server = server
        self.remoteAddress = socket.remoteAddress
        self.stream = ConnectionStream(socket: socket, tls: tls)
        self.parser = HTTPRequestParser(limits: server.limits)
        var logger = server.logger
        logger[metadataKey: "connection"] = "\(String(id, radix: 16))"
        logger[metadataKey: "loop"] = "\(socket.loop.index)"
        if let remoteAddress { logger[metadataKey: "peer"] = "\(remoteAddress)" }
        self.logger = logger
    }

    /// Serves the connection until it ends, then closes it.
    func run() async {
        logger.debug("connection opened")
        // The requests are served in a child task: a task keeps the stack memory it has used until
        // it ends, and an upgraded session, which runs in this task afterwards, can last for days.
        await withTaskGroup(of: Bool.self) { group in
            group.addTask(executorPreference: self.loop) {
                await self.watchdog()
                return false
            }
            group.addTask(executorPreference: self.loop) {
                await self.serve()
                return true
            }
            while let served = await group.next() {
                // A watchdog that is closing the socket must not be cancelled: the runtime's close,
                // run from a cancelled task, leaves the descriptor open.
                if served, !self.timedOut { group.cancelAll() }
            }
        }
        if let upgrade {
            self.upgrade = nil
            // The request buffers are not needed again.
            parser = HTTPRequestParser(limits: server.limits)
            inbound = []
            outbound = []
            await upgrade.session.run(on: upgrade.stream, context: upgrade.context, isolation: self)
        }
        await stream.close()
        logger.debug("connection closed", metadata: ["requests": "\(requestCount)"])
    }

    /// Stops the connection after the exchange in progress; an idle connection closes now.
    func beginDrain() async {
        draining = true
        if phase == .idle { await stream.close() }
    }

    /// Closes the connection whatever it is doing.
    func forceClose() async {
        await stream.close()
    }

    // MARK: Serving

    private func serve() async {
        do {
            setDeadline(after: server.requestTimeout)
            try await stream.handshake()
            while let head = try await nextHead() {
                guard try await respond(to: head) else { break }
            }
            try await flush()
        } catch let error as HTTPParserError {
            await refuse(error)
        } catch let error as TLSError where !stream.isClosed {
            logger.debug("TLS failed", metadata: ["error": "\(error)"])
        } catch {
            // End of stream, reset, or closed by the watchdog or a forced stop: nothing to answer.
            logger.trace("connection ended", metadata: ["error": "\(error)"])
        }
    }

    /// Reads until the next request head; nil when no further request comes.
    private func nextHead() async throws -> RequestHead? {
        while true {
            switch try parser.next() {
            case .head(let head):
                return head
            case .closed:
                return nil
            case .needMoreData:
                // Flushing first: a drain that begins meanwhile is seen before waiting.
                try await flush()
                // Idle means between requests: a new connection has the request timeout to send
                // its first one (the idle timeout is usually much shorter).
                let idle = parser.bufferedByteCount == 0 && requestCount > 0
                if parser.bufferedByteCount == 0 && draining { return nil }
                try await waitForInput(idle: idle)
            case .body, .trailers, .end, .upgradePending:
                // Bodies are consumed by readBody, and an upgrade is decided right after `.end`.
                preconditionFailure("parser event out of order between requests")
            }
        }
    }

    /// Handles one request; returns whether the connection goes on with the next one.
    private func respond(to head: RequestHead) async throws -> Bool {
        requestCount += 1
        let started = ContinuousClock.now
        let requestID = "\(String(id, radix: 16))-\(requestCount)"
        var requestLogger = logger
        requestLogger[metadataKey: "request_id"] = "\(requestID)"
        let context = RequestContext(
            requestID: requestID, remoteAddress: remoteAddress, isTLS: stream.isTLS, logger: requestLogger, loop: loop)

        var route: Route?
        var response: HTTPResponse?
        switch server.router.resolve(method: head.method, path: head.path) {
        case .route(let found):
            route = found
            parser.setBodyLimit(found.maxBodyBytes ?? server.limits.maxBodySize)
        case .notFound:
            response = .error(status: .notFound, code: "NOT_FOUND", message: "no route for this path")
        case .methodNotAllowed(let allowed):
            var refusal = HTTPResponse.error(
                status: .methodNotAllowed, code: "METHOD_NOT_ALLOWED", message: "method \(head.method) is not allowed here")
            refusal.headers.add(name: "Allow", value: allowed.map(\.rawValue).joined(separator: ", "))
            response = refusal
        }
        if let response, head.expectsContinue {
            // The client holds its body back until 100 Continue, which it will not get.
            try await write(response, to: head, requestID: requestID, keepAlive: false)
            logAccess(head, status: response.status, started: started, logger: requestLogger)
            return false
        }

        let body = try await readBody(expectsContinue: head.expectsContinue)
        phase = .processing
        deadline = nil
        let request = HTTPRequest(head: head, body: body)

        if let route {
            switch route.action {
            case .respond(let handler):
                if head.isUpgradeRequest { parser.resume() }
                response = await call(handler, request, context)
            case .upgrade(let upgrader):
                switch await upgrader.upgrade(request, context: context) {
                case .accept(let switching, let session):
                    try await switchProtocols(switching, head: head, started: started, session: session, context: context)
                    return false
                case .refuse(let refusal):
                    if head.isUpgradeRequest { parser.resume() }
                    response = refusal
                }
            }
        } else if head.isUpgradeRequest {
            parser.resume()
        }

        let answer = response ?? .error(.internalError, message: "no response")
        let keepAlive = head.keepAlive && !draining
        try await write(answer, to: head, requestID: requestID, keepAlive: keepAlive)
        logAccess(head, status: answer.status, started: started, logger: requestLogger)
        requestDeadline = nil
        return keepAlive
    }

    private func readBody(expectsContinue: Bool) async throws -> [UInt8] {
        var body: [UInt8] = []
        var continueSent = false
        while true {
            switch try parser.next() {
            case .body(let bytes):
                body.append(contentsOf: bytes)
            case .trailers:
                continue
            case .end:
                return body
            case .needMoreData:
                if expectsContinue && !continueSent {
                    continueSent = true
                    try await send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                }
                try await waitForInput(idle: false)
            case .head, .closed, .upgradePending:
                preconditionFailure("parser event out of order inside a request")
            }
        }
    }

    private func call(_ handler: HTTPHandler, _ request: HTTPRequest, _ context: RequestContext) async -> HTTPResponse {
        do {
            return try await handler(request, context)
        } catch let error as HTTPResponseError {
            return error.response
        } catch {
            context.logger.error("route failed", metadata: ["error": "\(error)"])
            return .error(.internalError, message: "internal error")
        }
    }

    private func switchProtocols(
        _ switching: ResponseHead, head: RequestHead, started: ContinuousClock.Instant,
        session: any UpgradedSession, context: RequestContext
    ) async throws {
        outbound.removeAll(keepingCapacity: true)
        try HTTPWriter.writeResponseHead(switching, body: .none, into: &outbound)
        try await send(outbound)
        try await flush()
        logAccess(head, status: switching.status, started: started, logger: context.logger)
        let leftover = parser.takeUnconsumedBytes()
        phase = .upgraded
        deadline = nil
        upgrade = Upgrade(session: session, stream: UpgradedStream(stream: stream, initialBytes: leftover), context: context)
    }

    /// Answers a request the parser refused, then the connection closes.
    private func refuse(_ error: HTTPParserError) async {
        let status = error.status
        let code = status.code == 413 ? "TOO_LARGE" : "MALFORMED"
        let response = HTTPResponse.error(status: status, code: code, message: Self.explanation(error.kind))
        logger.info("refused request", metadata: ["status": "\(status.code)", "reason": "\(error.kind)"])
        let requestID = "\(String(id, radix: 16))-\(requestCount + 1)"
        do {
            try await write(response, to: nil, requestID: requestID, keepAlive: false)
        } catch {
            logger.trace("could not send the refusal", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Bytes

    private func waitForInput(idle: Bool) async throws {
        // Pipelined responses go out before the connection waits for more input.
        try await flush()
        if idle {
            phase = .idle
            setDeadline(after: server.idleTimeout)
        } else {
            phase = .reading
            let end = requestDeadline ?? ContinuousClock.now.advanced(by: server.requestTimeout)
            requestDeadline = end
            deadline = end
        }
        // The buffer is kept across reads for its capacity; an actor property cannot be passed
        // inout across a suspension, so it is lent to a local meanwhile.
        var buffer: [UInt8] = []
        swap(&buffer, &inbound)
        buffer.removeAll(keepingCapacity: true)
        let count = try await stream.read(into: &buffer)
        if count == 0 {
            parser.feedEOF()
        } else {
            parser.feed(buffer)
            phase = .reading
        }
        swap(&buffer, &inbound)
    }

    private func write(_ response: HTTPResponse, to request: RequestHead?, requestID: String, keepAlive: Bool) async throws {
        var headers = response.headers
        headers.replaceOrAdd(name: "Date", value: dates.now())
        headers.replaceOrAdd(name: "X-Request-Id", value: requestID)
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if request?.version == .http1_0 {
            // An HTTP/1.0 client keeps the connection only when the response says so.
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        let code = response.status.code
        let bodiless = (100..<200).contains(code) || code == 204 || code == 304
        outbound.removeAll(keepingCapacity: true)
        do {
            if request?.method == .head {
                if !bodiless { headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.count)") }
                try HTTPWriter.writeResponseHead(ResponseHead(status: response.status, headers: headers), body: .none, into: &outbound)
            } else if bodiless {
                try HTTPWriter.writeResponseHead(ResponseHead(status: response.status, headers: headers), body: .none, into: &outbound)
            } else {
                try HTTPWriter.writeResponse(ResponseHead(status: response.status, headers: headers), body: response.body, into: &outbound)
            }
        } catch {
            logger.error("route built an invalid response", metadata: ["error": "\(error)"])
            outbound.removeAll(keepingCapacity: true)
            var fallback = HTTPResponse.error(.internalError, message: "internal error")
            fallback.headers.add(name: "Date", value: dates.now())
            if !keepAlive { fallback.headers.add(name: "Connection", value: "close") }
            try HTTPWriter.writeResponse(ResponseHead(status: fallback.status, headers: fallback.headers), body: fallback.body, into: &outbound)
        }
        try await send(outbound)
        if !keepAlive { try await flush() }
    }

    private func send(_ bytes: [UInt8]) async throws {
        try await stream.send(bytes)
    }

    /// Waits until the kernel has every queued byte, within the write timeout.
    private func flush() async throws {
        guard stream.socket.bufferedWriteBytes > 0 else { return }
        phase = .writing
        setDeadline(after: server.writeTimeout)
        try await stream.flush()
    }

    // MARK: Time

    private func setDeadline(after duration: Duration) {
        deadline = ContinuousClock.now.advanced(by: duration)
    }

    /// Closes the connection when its deadline passes. The deadline moves as the connection
    /// works. Each deadline is set at least the shortest timeout ahead, so a watchdog that looks
    /// at least that often never misses one, without being woken when a deadline moves.
    private func watchdog() async {
        while phase != .upgraded {
            let now = ContinuousClock.now
            var wait = server.watchdogInterval
            if let deadline {
                if deadline <= now {
                    timedOut = true
                    logger.debug("timed out", metadata: ["phase": "\(phase.rawValue)"])
                    await stream.close()
                    return
                }
                wait = min(wait, deadline - now)
            }
            do {
                try await loop.sleep(for: wait)
            } catch {
                return
            }
        }
    }

    // MARK: Logging

    private func logAccess(_ head: RequestHead, status: HTTPStatus, started: ContinuousClock.Instant, logger: Logger) {
        let elapsed = ContinuousClock.now - started
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        // The path only: a query string may carry a token.
        logger.info("request", metadata: [
            "method": "\(head.method.rawValue)",
            "path": "\(head.path)",
            "status": "\(status.code)",
            "duration_ms": "\(Double(micros) / 1000)",
        ])
    }

    private static func explanation(_ kind: HTTPParserError.Kind) -> String {
        switch kind {
        case .requestLineTooLong: "the request line is too long"
        case .headerBlockTooLarge: "the header section is too large"
        case .tooManyHeaders: "too many header fields"
        case .trailersTooLarge: "the trailer section is too large"
        case .bodyTooLarge: "the request body is too large"
        case .invalidStartLine: "the request line is malformed"
        case .invalidMethod: "the method is not a token"
        case .invalidTarget: "the request target is malformed"
        case .invalidVersion: "the HTTP version is malformed"
        case .unsupportedVersion: "only HTTP/1.0 and HTTP/1.1 are supported"
        case .invalidHeaderName: "a header field name is malformed"
        case .invalidHeaderValue: "a header field value has a control character"
        case .obsoleteLineFolding: "obsolete line folding is not accepted"
        case .bareCR: "a CR is not followed by LF"
        case .bareLF: "a line ends in LF without CR"
        case .contentLengthWithTransferEncoding: "Content-Length and Transfer-Encoding together are refused"
        case .duplicateContentLength: "more than one Content-Length"
        case .invalidContentLength: "Content-Length is not a valid number"
        case .transferEncodingNotChunkedLast: "Transfer-Encoding must end with chunked"
        case .unsupportedTransferEncoding: "only the chunked transfer coding is supported"
        case .transferEncodingInHTTP10: "Transfer-Encoding is not allowed in HTTP/1.0"
        case .invalidHost: "an HTTP/1.1 request needs exactly one Host field"
        case .invalidChunk: "a chunk of the body is malformed"
        case .invalidStatusCode: "the status code is malformed"
        case .unexpectedEndOfInput: "the connection ended inside a request"
        }
    }
}
