import RingwayJSON

/// HELLO payload: `{"protocol_versions":["1.2"],"capabilities":{...}}`.
public struct HelloPayload: Sendable, Hashable {
    /// Most versions a HELLO may offer.
    public static let maxProtocolVersions = 16
    /// Longest version string accepted.
    public static let maxVersionLength = 16

    /// The protocol versions the client speaks.
    public var protocolVersions: [String]
    /// Free-form capabilities; unknown members are kept, not refused.
    public var capabilities: JSONObject

    /// Creates a payload.
    public init(protocolVersions: [String], capabilities: JSONObject = JSONObject()) {
        self.protocolVersions = protocolVersions
        self.capabilities = capabilities
    }

    /// Reads a received payload. `protocol_versions` must be a non-empty array of short strings;
    /// `capabilities`, when present, an object.
    public init(json object: JSONObject) throws(EnvelopeError) {
        guard case .array(let versions)? = object["protocol_versions"] else {
            throw EnvelopeError(.invalidPayload("protocol_versions must be an array"))
        }
        guard !versions.isEmpty, versions.count <= Self.maxProtocolVersions else {
            throw EnvelopeError(.invalidPayload("protocol_versions must list 1 to \(Self.maxProtocolVersions) versions"))
        }
        var strings: [String] = []
        for version in versions {
            guard case .string(let text) = version, !text.isEmpty, text.utf8.count <= Self.maxVersionLength else {
                throw EnvelopeError(.invalidPayload("protocol_versions must hold short strings"))
            }
            strings.append(text)
        }
        var capabilities = JSONObject()
        if let value = object["capabilities"] {
            guard case .object(let caps) = value else {
                throw EnvelopeError(.invalidPayload("capabilities must be an object"))
            }
            capabilities = caps
        }
        self.init(protocolVersions: strings, capabilities: capabilities)
    }

    /// The payload as JSON.
    public var json: JSONObject {
        ["protocol_versions": .array(protocolVersions.map { .string($0) }), "capabilities": .object(capabilities)]
    }

    /// The first of `supported` (in the server's order of preference) that the client also
    /// offers, or nil: answer `ERROR PROTOCOL_VERSION` then.
    public func negotiate(supported: [String]) -> String? {
        supported.first { candidate in
            protocolVersions.contains { $0.utf8.elementsEqual(candidate.utf8) }
        }
    }
}
