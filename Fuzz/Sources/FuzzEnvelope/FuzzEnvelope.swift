import RingwayCrypto
import RingwayEnvelope
import RingwayJSON

// Small limits so that the fuzzer reaches every limit quickly.
private let envelopeLimits = EnvelopeLimits(
    maxEnvelopeBytes: 4_096,
    json: JSONLimits(maxNestingDepth: 8, maxStringBytes: 512, maxNumberLength: 40, maxObjectMembers: 16, maxArrayElements: 32)
)
private let verifyingKey = try! Ed25519PrivateKey(seed: [UInt8](repeating: 7, count: 32)).publicKey

/// The rule: any input either decodes or is refused with a remote error; the full decoder and
/// the routing fast path agree on which (and on the error); the JSON reader and scanner agree;
/// accepted JSON survives writing and canonicalization; a copy at another address decodes alike.
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size)
    checkEnvelope(bytes)
    checkJSON(bytes)
    // The same bytes at a different alignment must give the same answers.
    var shifted = [UInt8](repeating: 0, count: size + 1)
    shifted.withUnsafeMutableBytes { buffer in
        UnsafeMutableRawBufferPointer(rebasing: buffer[1...]).copyMemory(from: bytes)
    }
    shifted.withUnsafeBytes { buffer in
        let moved = UnsafeRawBufferPointer(rebasing: buffer[1...])
        let original = Result { () throws(EnvelopeError) in try EnvelopeDecoder(limits: envelopeLimits).decode(bytes) }
        let copy = Result { () throws(EnvelopeError) in try EnvelopeDecoder(limits: envelopeLimits).decode(moved) }
        precondition(original == copy, "decoding depends on the buffer address")
    }
    return 0
}

private func checkEnvelope(_ bytes: UnsafeRawBufferPointer) {
    let full = Result { () throws(EnvelopeError) in try EnvelopeDecoder(limits: envelopeLimits).decode(bytes) }
    let fast = Result { () throws(EnvelopeError) in try EnvelopeScanner(limits: envelopeLimits).scan(bytes) }
    switch (full, fast) {
    case (.success(let envelope), .success(let header)):
        precondition(header.type == envelope.type && header.messageID == envelope.messageID
            && header.fromEntity == envelope.fromEntity && header.toEntity == envelope.toEntity
            && header.timestamp == envelope.timestamp, "decoder and fast path read different fields")
        precondition(header.signatureText(in: bytes) == envelope.signature, "signature text differs")
        // Re-encoding an accepted envelope gives an envelope that decodes to the same value.
        let again = try? EnvelopeDecoder(limits: EnvelopeLimits(maxEnvelopeBytes: 1 << 20)).decode(envelope.encoded())
        precondition(again == envelope, "encode/decode round trip changed the envelope")
        // A forged signature must never verify; the call must not crash either.
        let verified = try? EnvelopeVerifier.verify(bytes, publicKey: verifyingKey, limits: envelopeLimits)
        precondition(verified == nil, "a fuzzed signature verified")
    case (.failure(let a), .failure(let b)):
        precondition(a == b, "decoder and fast path refuse with different errors: \(a) / \(b)")
        _ = a.code.httpStatus
    default:
        preconditionFailure("decoder and fast path disagree on accepting the input")
    }
}

private func checkJSON(_ bytes: UnsafeRawBufferPointer) {
    let limits = envelopeLimits.json
    let tree = Result { () throws(JSONError) in try JSONReader.parse(bytes, limits: limits) }
    let scan = Result { () throws(JSONError) in try JSONScanner.validate(bytes, limits: limits) }
    switch (tree, scan) {
    case (.success(let value), .success):
        let relaxed = JSONLimits(maxDocumentBytes: 1 << 22)
        let written = JSONWriter.encode(value)
        precondition((try? JSONReader.parse(written, limits: relaxed)) == value, "compact writer round trip failed")
        let canonical = JSONCanonicalizer.canonicalize(value)
        guard let reparsed = try? JSONReader.parse(canonical, limits: relaxed) else {
            preconditionFailure("canonical output does not parse")
        }
        precondition(reparsed == value, "canonical round trip changed the value")
        precondition(JSONCanonicalizer.canonicalize(reparsed) == canonical, "canonicalization is not idempotent")
    case (.failure(let a), .failure(let b)):
        precondition(a == b, "reader and scanner refuse with different errors: \(a) / \(b)")
    default:
        preconditionFailure("reader and scanner disagree on accepting the input")
    }
}
