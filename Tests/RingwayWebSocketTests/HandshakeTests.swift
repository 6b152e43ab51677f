import Foundation
import RingwayHTTP
import RingwayWebSocket
import Testing

@Suite("WebSocket opening handshake")
struct HandshakeTests {
    static let rfcRequest = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\n"
        + "Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n"

    private func head(_ text: String) throws -> RequestHead {
        var parser = HTTPRequestParser()
        parser.feed(Array(text.utf8))
        guard case .head(let head) = try parser.next() else { throw HandshakeTestFailure() }
        return head
    }

    private struct HandshakeTestFailure: Error {}

    private func modified(_ replacements: [(String, String)]) -> String {
        var text = Self.rfcRequest
        for (old, new) in replacements { text = text.replacingOccurrences(of: old, with: new) }
        return text
    }

    @Test func acceptsTheRFCExampleAndWritesThe101() throws {
        let request = try WebSocketServerHandshake.validate(head(Self.rfcRequest))
        #expect(request.origin == "http://example.com")
        #expect(request.requestedSubprotocols == ["chat", "superchat"])
        #expect(request.key == "dGhlIHNhbXBsZSBub25jZQ==")
        let chosen = request.negotiateSubprotocol(supported: ["superchat", "chat"])
        #expect(chosen == "chat")
        var buffer: [UInt8] = []
        try WebSocketServerHandshake.writeAcceptResponse(for: request, subprotocol: chosen, into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n")
        #expect(request.negotiateSubprotocol(supported: ["other"]) == nil)
    }

    @Test func tokensAreCaseInsensitiveAndListsAreScanned() throws {
        let text = modified([("Upgrade: websocket", "Upgrade: WebSocket"), ("Connection: Upgrade", "Connection: keep-alive, UPGRADE")])
        #expect(throws: Never.self) { try WebSocketServerHandshake.validate(try head(text)) }
    }

    @Test func badHandshakesAre400() throws {
        let cases: [(String, WebSocketHandshakeError.Kind)] = [
            (modified([("GET /chat", "POST /chat")]), .methodNotGet),
            (modified([("HTTP/1.1", "HTTP/1.0")]), .versionNotHTTP11),
            (modified([("Upgrade: websocket\r\n", "")]), .missingUpgradeHeader),
            (modified([("Upgrade: websocket", "Upgrade: h2c")]), .missingUpgradeHeader),
            (modified([("Connection: Upgrade", "Connection: keep-alive")]), .missingConnectionUpgrade),
            (modified([("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")]), .invalidKey),
            (modified([("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ")]), .invalidKey),
            (modified([("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25j")]), .invalidKey),
            (modified([("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==")]), .invalidKey),
            (modified([("chat, superchat", "chat, super chat")]), .invalidSubprotocol),
        ]
        for (text, kind) in cases {
            #expect(throws: WebSocketHandshakeError(kind)) { try WebSocketServerHandshake.validate(try head(text)) }
            #expect(WebSocketHandshakeError(kind).status.code == 400)
        }
        var buffer: [UInt8] = []
        WebSocketHandshakeError(.invalidKey).writeResponse(into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func wrongVersionIs426WithTheSupportedVersion() throws {
        for text in [modified([("Version: 13", "Version: 8")]), modified([("Sec-WebSocket-Version: 13\r\n", "")])] {
            #expect(throws: WebSocketHandshakeError(.unsupportedVersion)) { try WebSocketServerHandshake.validate(try head(text)) }
        }
        let error = WebSocketHandshakeError(.unsupportedVersion)
        #expect(error.status.code == 426)
        var buffer: [UInt8] = []
        error.writeResponse(into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self)
            == "HTTP/1.1 426 Upgrade Required\r\nConnection: close\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func clientAndServerCompleteAHandshake() throws {
        let key: [UInt8] = Array(0..<16)
        let client = WebSocketClientHandshake(host: "localhost:8080", target: "/ws/v1/peers?entity_id=a", key: key, subprotocols: ["v1.2", "v1.1"], origin: "https://app")
        var requestBytes: [UInt8] = []
        try client.writeRequest(into: &requestBytes)

        var requestParser = HTTPRequestParser()
        requestParser.feed(requestBytes)
        guard case .head(let head) = try requestParser.next() else { Issue.record("expected a head"); return }
        let request = try WebSocketServerHandshake.validate(head)
        #expect(request.origin == "https://app")
        #expect(request.head.path == "/ws/v1/peers")
        var responseBytes: [UInt8] = []
        try WebSocketServerHandshake.writeAcceptResponse(
            for: request, subprotocol: request.negotiateSubprotocol(supported: ["v1.1"]), into: &responseBytes)

        var responseParser = HTTPResponseParser()
        responseParser.requestSent(method: .get)
        responseParser.feed(responseBytes + [0x81, 0x00])
        guard case .head(let response) = try responseParser.next() else { Issue.record("expected a head"); return }
        #expect(try client.validate(response) == "v1.1")
        #expect(try responseParser.next() == .end)
        #expect(try responseParser.next() == .switchingProtocols)
        #expect(responseParser.takeUnconsumedBytes() == [0x81, 0x00])
    }

    @Test func clientRefusesBadResponses() throws {
        let client = WebSocketClientHandshake(host: "h", target: "/", key: [UInt8](repeating: 7, count: 16), subprotocols: ["a"])
        let accept = WebSocketServerHandshake.acceptValue(forKey: client.key)
        let good: HTTPHeaders = ["Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Accept": accept]
        #expect(try client.validate(ResponseHead(status: .switchingProtocols, headers: good)) == nil)
        func refused(_ status: HTTPStatus = .switchingProtocols, _ change: (inout HTTPHeaders) -> Void) -> WebSocketHandshakeError.Kind? {
            var headers = good
            change(&headers)
            do {
                _ = try client.validate(ResponseHead(status: status, headers: headers))
                return nil
            } catch {
                return error.kind
            }
        }
        #expect(refused(.ok) { _ in } == .unexpectedStatus(200))
        #expect(refused { $0.remove(name: "Upgrade") } == .missingUpgradeHeader)
        #expect(refused { $0.replaceOrAdd(name: "Connection", value: "close") } == .missingConnectionUpgrade)
        #expect(refused { $0.replaceOrAdd(name: "Sec-WebSocket-Accept", value: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") } == .invalidAccept)
        #expect(refused { $0.remove(name: "Sec-WebSocket-Accept") } == .invalidAccept)
        #expect(refused { $0.add(name: "Sec-WebSocket-Protocol", value: "b") } == .unexpectedSubprotocol)
        #expect(refused { $0.add(name: "Sec-WebSocket-Protocol", value: "a, a") } == .unexpectedSubprotocol)
        #expect(refused { $0.add(name: "Sec-WebSocket-Extensions", value: "permessage-deflate") } == .unexpectedExtension)
        #expect(refused { $0.add(name: "Sec-WebSocket-Protocol", value: "a") } == nil)
    }

    @Test func clientRequestHasTheRequiredFields() throws {
        let client = WebSocketClientHandshake(host: "example.com", target: "/chat", key: Array("the sample nonce".utf8))
        #expect(client.key == "dGhlIHNhbXBsZSBub25jZQ==")
        var buffer: [UInt8] = []
        try client.writeRequest(into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    }
}
