import RingwayCrypto
import RingwayEnvelope
import RingwayHTTP
import RingwayJSON

/// The HTTP fallback (contract §9): `POST /v1/messages`, long-poll `GET /v1/messages`,
/// `POST /v1/messages/ack`, and `GET /peers/discover`. Every route needs a bearer token.
///
/// A posted envelope goes through the checks of a WebSocket MESSAGE in the same order (§7.2),
/// with HTTP statuses for refusals. Its signature is always verified: there is no HELLO over HTTP
/// to vouch for the envelopes that follow, whatever `verify_signatures` says.
enum MessageRoutes {
    /// The send and poll path.
    static let messagesPath = "/v1/messages"
    /// The acknowledgement path.
    static let ackPath = "/v1/messages/ack"
    /// The discovery path.
    static let discoverPath = "/peers/discover"
    /// Longest `wait` of a poll, in seconds (contract §9).
    static let maxWaitSeconds = 30
    /// Most envelopes one poll returns (`limit`), and the default.
    static let maxLimit = 1_000
    static let defaultLimit = 100
    /// Most ids one `POST /v1/messages/ack` names.
    static let maxAckIDs = 1_000

    static func add(to router: inout Router, hub: PeerHub) {
        let maxMessageBytes = hub.settings.maxMessageBytes
        router.add(.post, messagesPath, maxBodyBytes: maxMessageBytes) { request, _ in
            let entity = try authenticate(request, hub: hub)
            return await post(request.body, from: entity, hub: hub)
        }
        router.add(.get, messagesPath, maxBodyBytes: 0) { request, context in
            let entity = try authenticate(request, hub: hub)
            let (wait, limit) = try pollParameters(request)
            let envelopes = await hub.poll(for: entity.entityID, limit: limit, wait: .seconds(wait), on: context.loop)
            var body: [UInt8] = []
            body.reserveCapacity(envelopes.reduce(16) { $0 + $1.count + 1 })
            body.append(contentsOf: #"{"messages":["#.utf8)
            for (index, envelope) in envelopes.enumerated() {
                if index > 0 { body.append(UInt8(ascii: ",")) }
                // Each envelope exactly as its sender signed it.
                body.append(contentsOf: envelope)
            }
            body.append(contentsOf: "]}".utf8)
            var response = HTTPResponse.json(body)
            response.headers.add(name: "Cache-Control", value: "no-store")
            return response
        }
        router.add(.post, ackPath, maxBodyBytes: 64 + maxAckIDs * 40) { request, _ in
            let entity = try authenticate(request, hub: hub)
            let ids = try ackIDs(request.body)
            let count = hub.acknowledge(ids: ids, by: entity.entityID)
            return HTTPResponse.json(["acknowledged": .number(Double(count))])
        }
        router.add(.get, discoverPath, maxBodyBytes: 0) { request, _ in
            let entity = try authenticate(request, hub: hub)
            let only = try discoverFilter(request)
            let peers: [JSONValue] = hub.discover(for: entity.entityID, only: only).map { peer in
                [
                    "entity_id": .string(peer.entityID.rawValue),
                    "pubkey": .string(peer.publicKey.base64URL),
                    "online": .bool(peer.transport != nil),
                    "transport": peer.transport.map { .string($0.rawValue) } ?? .null,
                    "last_seen": peer.lastSeen.map { .number(Double($0)) } ?? .null,
                ]
            }
            var response = HTTPResponse.json(["peers": .array(peers)])
            response.headers.add(name: "Cache-Control", value: "no-store")
            return response
        }
    }

    private static func authenticate(_ request: HTTPRequest, hub: PeerHub) throws -> AuthenticatedEntity {
        let entity: AuthenticatedEntity
        do throws(AuthFailure) {
            entity = try hub.auth.authenticate(request.head, now: hub.clock.unixSeconds())
        } catch {
            let code: WireErrorCode = error.code == .tokenExpired ? .tokenExpired : .authFailed
            var response = HTTPResponse.error(code, message: error.message)
            response.headers.add(name: "WWW-Authenticate", value: "Bearer")
            throw HTTPResponseError(response)
        }
        // A token issued before the allow-list dropped its entity.
        guard hub.admission.mayConnect(entity.entityID) else {
            throw HTTPResponseError(refusal(.forbidden, "this entity is not on the allow-list", hub: hub))
        }
        return entity
    }

    private static func refusal(_ code: WireErrorCode, _ message: String, retryAfter: Int? = nil, hub: PeerHub) -> HTTPResponse {
        hub.metrics.refused(code)
        var response = HTTPResponse.error(code, message: message)
        if let retryAfter { response.headers.add(name: "Retry-After", value: String(retryAfter)) }
        return response
    }

    private struct ContractRefusal: Error {
        var code: WireErrorCode
        var message: String
        init(_ code: WireErrorCode, _ message: String) {
            self.code = code
            self.message = message
        }
    }

    private static func accepted(_ id: WireUUID, _ status: AckStatus) -> HTTPResponse {
        var body: [UInt8] = []
        body.append(contentsOf: #"{"ack_id":""#.utf8)
        body.append(contentsOf: id.description.utf8)
        body.append(contentsOf: #"","status":""#.utf8)
        body.append(contentsOf: status.rawValue.utf8)
        body.append(contentsOf: #""}"#.utf8)
        return HTTPResponse.json(body, status: .accepted)
    }

    /// `POST /v1/messages`: one MESSAGE or ACK envelope.
    static func post(_ body: [UInt8], from entity: AuthenticatedEntity, hub: PeerHub) async -> HTTPResponse {
        let received = ContinuousClock.now
        let limits = EnvelopeLimits(maxEnvelopeBytes: hub.settings.maxMessageBytes)
        let checked: Result<(RoutingHeader, Envelope), ContractRefusal> = body.withUnsafeBytes { bytes in
            do throws(EnvelopeError) {
                let header = try EnvelopeScanner(limits: limits).scan(bytes)
                guard header.type == .message || header.type == .ack else {
                    return .failure(ContractRefusal(.unsupportedType, "only MESSAGE and ACK envelopes are posted"))
                }
                guard header.fromEntity == entity.entityID else {
                    return .failure(ContractRefusal(.forbidden, "from_entity is not the authenticated entity"))
                }
                return .success((header, try EnvelopeVerifier.verify(bytes, publicKey: entity.publicKey, limits: limits)))
            } catch {
                return .failure(ContractRefusal(error.code, error.message))
            }
        }
        let header: RoutingHeader
        let envelope: Envelope
        switch checked {
        case .success(let pair): (header, envelope) = pair
        case .failure(let refused): return refusal(refused.code, refused.message, hub: hub)
        }
        let now = hub.now
        guard hub.checkReplay(from: entity.entityID, messageID: header.messageID, timestamp: header.timestamp, now: now) else {
            return refusal(.replay, "timestamp outside the replay window, or message_id already seen", hub: hub)
        }
        guard let recipient = header.toEntity else {
            return refusal(.malformed, "a \(header.type.rawValue) needs a to_entity", hub: hub)
        }

        if header.type == .ack {
            guard case .entity(let sender) = recipient else {
                return refusal(.malformed, "a client ACK names the original sender in to_entity", hub: hub)
            }
            let ack: AckPayload
            do {
                ack = try AckPayload(json: envelope.payload)
            } catch {
                return refusal(error.code, error.message, hub: hub)
            }
            guard ack.status == .received else {
                return refusal(.malformed, "a client ACK has status received", hub: hub)
            }
            guard await hub.acknowledge(by: entity.entityID, sender: sender, messageID: ack.ackID, ackBytes: body) else {
                return refusal(.malformed, "ack_id names no message held for you from to_entity", hub: hub)
            }
            return accepted(ack.ackID, .received)
        }

        if let refused = hub.admission.admitMessage(from: entity.entityID, to: recipient, byteCount: body.count, now: now) {
            return refusal(refused.code, refused.message, retryAfter: refused.retryAfterSeconds, hub: hub)
        }
        switch recipient {
        case .broadcast:
            _ = await hub.events.broadcast(body, from: entity.entityID)
            hub.metrics.messageRouted(.broadcast, bytes: body.count, nanoseconds: received.elapsedNanoseconds)
            return accepted(header.messageID, .delivered)
        case .entity(let target):
            switch await hub.route(body, to: target, sender: entity.entityID, messageID: header.messageID) {
            case .delivered:
                hub.metrics.messageRouted(.delivered, bytes: body.count, nanoseconds: received.elapsedNanoseconds)
                return accepted(header.messageID, .delivered)
            case .queued:
                hub.metrics.messageRouted(.queued, bytes: body.count, nanoseconds: received.elapsedNanoseconds)
                return accepted(header.messageID, .queued)
            case .queueFull:
                return refusal(.queueFull, "the recipient's queue is full", hub: hub)
            case .unknownRecipient:
                return refusal(.unknownRecipient, "unknown recipient", hub: hub)
            }
        }
    }

    /// The optional `entity_id` of `GET /peers/discover`: when given (once, a valid id), the
    /// answer lists that entity alone, if the caller may reach it. A client looking up one
    /// sender's key then does not fetch, nor make the server build, the whole list.
    private static func discoverFilter(_ request: HTTPRequest) throws -> EntityID? {
        let values: [String]
        do {
            values = try request.head.queryParameters().values(for: "entity_id")
        } catch {
            throw HTTPResponseError(.error(.malformed, message: "the query string cannot be decoded"))
        }
        guard !values.isEmpty else { return nil }
        guard values.count == 1, let entity = EntityID(values[0]) else {
            throw HTTPResponseError(.error(.malformed, message: "entity_id must name one entity: 1 to 64 characters from A-Z a-z 0-9 . _ -"))
        }
        return entity
    }

    /// `wait` (0–30 s, default 0) and `limit` (1–1000, default 100).
    private static func pollParameters(_ request: HTTPRequest) throws -> (wait: Int, limit: Int) {
        let parameters: QueryParameters
        do {
            parameters = try request.head.queryParameters()
        } catch {
            throw HTTPResponseError(.error(.malformed, message: "the query string cannot be decoded"))
        }
        func integer(_ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
            let values = parameters.values(for: name)
            guard !values.isEmpty else { return value }
            guard values.count == 1, let parsed = Int(values[0]), range.contains(parsed) else {
                throw HTTPResponseError(.error(
                    .malformed, message: "\(name) must be one integer from \(range.lowerBound) to \(range.upperBound)"))
            }
            return parsed
        }
        return (try integer("wait", default: 0, in: 0...maxWaitSeconds), try integer("limit", default: defaultLimit, in: 1...maxLimit))
    }

    /// The body of `POST /v1/messages/ack`: `{"ack_ids":["uuid",…]}`.
    private static func ackIDs(_ body: [UInt8]) throws -> [WireUUID] {
        let malformed = HTTPResponseError(.error(
            .malformed, message: "the body must be {\"ack_ids\":[…]} with 1 to \(maxAckIDs) message ids"))
        guard let document = try? JSONReader.parse(body), let object = document.objectValue,
              object.members.count == 1, let list = object["ack_ids"]?.arrayValue,
              (1...maxAckIDs).contains(list.count) else {
            throw malformed
        }
        return try list.map { value in
            guard let text = value.stringValue, let id = WireUUID(text) else { throw malformed }
            return id
        }
    }
}
