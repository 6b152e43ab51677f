import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import Testing

let testSeed: [UInt8] = {
    let text = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}()

let aliceKey = try! Ed25519PrivateKey(seed: testSeed)

let sampleID = "0190b1a5-6d3c-7a4e-9b2f-0123456789ab"

/// A valid signed MESSAGE (key: RFC 8032 TEST 1), signature computed independently.
let sampleSigned = #"{"message_id":"0190b1a5-6d3c-7a4e-9b2f-0123456789ab","type":"MESSAGE","from_entity":"alice","#
    + #""to_entity":"bob","timestamp":1700000000,"payload":{"text":"hello","n":1},"#
    + #""signature":"yskJYGe9PBSM3AQHtqJhlW-LsGEU4RL0p47z6fqqEfz2_9BjilXZ1d8-B_9LopjgrVJ8TFJw3A8vLSya_nj3Bg"}"#

/// An envelope document built from members; `nil` values are omitted entirely.
func document(
    messageID: String? = #""0190b1a5-6d3c-7a4e-9b2f-0123456789ab""#,
    type: String? = #""MESSAGE""#,
    from: String? = #""alice""#,
    to: String? = #""bob""#,
    timestamp: String? = "1700000000",
    payload: String? = "{}",
    signature: String? = #""c2ln""#,
    extra: String = ""
) -> String {
    var members: [String] = []
    if let messageID { members.append(#""message_id":"# + messageID) }
    if let type { members.append(#""type":"# + type) }
    if let from { members.append(#""from_entity":"# + from) }
    if let to { members.append(#""to_entity":"# + to) }
    if let timestamp { members.append(#""timestamp":"# + timestamp) }
    if let payload { members.append(#""payload":"# + payload) }
    if let signature { members.append(#""signature":"# + signature) }
    if !extra.isEmpty { members.append(extra) }
    return "{" + members.joined(separator: ",") + "}"
}

/// Decodes with the full decoder and the fast path, checks they agree, returns the outcome.
func decodeBoth(_ bytes: [UInt8], limits: EnvelopeLimits = .default) -> Result<Envelope, EnvelopeError> {
    let full = Result { () throws(EnvelopeError) in try EnvelopeDecoder(limits: limits).decode(bytes) }
    let fast = Result { () throws(EnvelopeError) in try EnvelopeScanner(limits: limits).scan(bytes) }
    switch (full, fast) {
    case (.success(let envelope), .success(let header)):
        #expect(header.type == envelope.type)
        #expect(header.messageID == envelope.messageID)
        #expect(header.fromEntity == envelope.fromEntity)
        #expect(header.toEntity == envelope.toEntity)
        #expect(header.timestamp == envelope.timestamp)
    case (.failure(let a), .failure(let b)):
        #expect(a == b, "decoder and scanner disagree on \(String(decoding: bytes, as: UTF8.self))")
    default:
        Issue.record("decoder and scanner disagree on accepting \(String(decoding: bytes, as: UTF8.self))")
    }
    return full
}

func decodeBoth(_ text: String, limits: EnvelopeLimits = .default) -> Result<Envelope, EnvelopeError> {
    decodeBoth(Array(text.utf8), limits: limits)
}

func refusal(_ text: String, limits: EnvelopeLimits = .default) -> EnvelopeError? {
    if case .failure(let error) = decodeBoth(text, limits: limits) { return error }
    return nil
}

func refusal(_ bytes: [UInt8]) -> EnvelopeError? {
    if case .failure(let error) = decodeBoth(bytes) { return error }
    return nil
}
