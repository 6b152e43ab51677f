import Foundation
import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import Testing

@Suite("Envelope signing and verification")
struct EnvelopeSigningTests {
    var sample: Envelope {
        Envelope(messageID: WireUUID(sampleID)!, type: .message, fromEntity: EntityID("alice")!,
                 toEntity: .entity(EntityID("bob")!), timestamp: 1_700_000_000, payload: ["text": "hello", "n": 1])
    }

    @Test func signingInputIsTheCanonicalFormWithoutSignature() {
        let expected = #"{"from_entity":"alice","message_id":"0190b1a5-6d3c-7a4e-9b2f-0123456789ab","#
            + #""payload":{"n":1,"text":"hello"},"timestamp":1700000000,"to_entity":"bob","type":"MESSAGE"}"#
        #expect(String(decoding: sample.signingInput, as: UTF8.self) == expected)
        var withSignature = sample
        withSignature.signature = "ignored"
        #expect(withSignature.signingInput == sample.signingInput)
        // The same bytes as canonicalizing the generic document minus its signature.
        #expect(JSONCanonicalizer.canonicalize(.object(sample.jsonObject)) == sample.signingInput)
    }

    @Test func signatureMatchesAnIndependentImplementation() throws {
        let signed = sample.signed(with: aliceKey)
        #expect(signed.signature == "yskJYGe9PBSM3AQHtqJhlW-LsGEU4RL0p47z6fqqEfz2_9BjilXZ1d8-B_9LopjgrVJ8TFJw3A8vLSya_nj3Bg")
        try signed.verifySignature(publicKey: aliceKey.publicKey)
    }

    @Test func receivedBytesVerify() throws {
        let envelope = try Array(sampleSigned.utf8).withUnsafeBytes {
            try EnvelopeVerifier.verify($0, publicKey: aliceKey.publicKey)
        }
        #expect(envelope.fromEntity.rawValue == "alice")
    }

    @Test func memberOrderAndWhitespaceDoNotMatter() throws {
        let reordered = #"""
        { "signature" : "yskJYGe9PBSM3AQHtqJhlW-LsGEU4RL0p47z6fqqEfz2_9BjilXZ1d8-B_9LopjgrVJ8TFJw3A8vLSya_nj3Bg",
          "payload" : { "n" : 1.0, "text" : "hell\u006f" }, "timestamp" : 17e8, "type" : "MESSAGE",
          "to_entity" : "bob", "from_entity" : "alice", "message_id" : "0190b1a5-6d3c-7a4e-9b2f-0123456789ab" }
        """#
        _ = try Array(reordered.utf8).withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: aliceKey.publicKey) }
    }

    @Test func documentIsCanonicalizedAsSent() throws {
        // Signed by a sender that wrote its message_id in uppercase.
        let upper = sampleSigned.replacingOccurrencesOf(sampleID, with: sampleID.uppercased())
            .replacingOccurrencesOf("yskJYGe9PBSM3AQHtqJhlW-LsGEU4RL0p47z6fqqEfz2_9BjilXZ1d8-B_9LopjgrVJ8TFJw3A8vLSya_nj3Bg",
                                    with: "h6eC5xovn0_bwGTKAzi5BAKomNJUZ0GFohDsGq8xKwXYqWlNBs3Pl-XXKHhO7dnQt_tOlGT8axxINV0LyJ9QDg")
        _ = try Array(upper.utf8).withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: aliceKey.publicKey) }
    }

    @Test func paddedAndStandardAlphabetSignaturesAreAccepted() throws {
        let signature = try Base64URL.decode("yskJYGe9PBSM3AQHtqJhlW-LsGEU4RL0p47z6fqqEfz2_9BjilXZ1d8-B_9LopjgrVJ8TFJw3A8vLSya_nj3Bg")
        let standard = standardBase64(signature)
        let text = sampleSigned.replacingOccurrencesOf(
            "yskJYGe9PBSM3AQHtqJhlW-LsGEU4RL0p47z6fqqEfz2_9BjilXZ1d8-B_9LopjgrVJ8TFJw3A8vLSya_nj3Bg", with: standard)
        #expect(standard.hasSuffix("=="))
        _ = try Array(text.utf8).withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: aliceKey.publicKey) }
    }

    @Test(arguments: [
        #""payload":{"text":"hello","n":2}"#,
        #""timestamp":1700000001"#,
        #""to_entity":"carol""#,
        #""type":"ACK""#,
    ])
    func tamperingIsInvalidSignature(_ replacement: String) throws {
        let name = String(replacement.prefix { $0 != ":" })
        let original: String
        switch name {
        case #""payload""#: original = #""payload":{"text":"hello","n":1}"#
        case #""timestamp""#: original = #""timestamp":1700000000"#
        case #""to_entity""#: original = #""to_entity":"bob""#
        default: original = #""type":"MESSAGE""#
        }
        let tampered = sampleSigned.replacingOccurrencesOf(original, with: replacement)
        #expect(tampered != sampleSigned)
        let error = #expect(throws: EnvelopeError.self) {
            try Array(tampered.utf8).withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: aliceKey.publicKey) }
        }
        #expect(error?.code == .invalidSignature)
    }

    @Test func wrongKeyAndBadSignatureTextAreInvalidSignature() throws {
        let other = Ed25519PrivateKey().publicKey
        let wrongKey = #expect(throws: EnvelopeError.self) {
            try Array(sampleSigned.utf8).withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: other) }
        }
        #expect(wrongKey?.code == .invalidSignature)
        for bad in ["", "c2ln", "!!!", String(repeating: "A", count: 87), String(repeating: "A", count: 86) + "=="] {
            let text = document(signature: "\"\(bad)\"")
            let error = #expect(throws: EnvelopeError.self) {
                try Array(text.utf8).withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: aliceKey.publicKey) }
            }
            #expect(error?.code == .invalidSignature)
        }
    }

    @Test func missingSignatureIsMalformedBeforeVerification() throws {
        let error = #expect(throws: EnvelopeError.self) {
            try Array(document(signature: nil).utf8).withUnsafeBytes {
                try EnvelopeVerifier.verify($0, publicKey: aliceKey.publicKey)
            }
        }
        #expect(error?.code == .malformed)
        var object = sample.jsonObject
        object["signature"] = nil
        #expect(throws: EnvelopeError(.invalidSignature)) {
            try EnvelopeVerifier.verify(document: object, publicKey: aliceKey.publicKey)
        }
    }

    @Test func encodeDecodeRoundTrip() throws {
        let signed = sample.signed(with: aliceKey)
        let bytes = signed.encoded()
        #expect(String(decoding: bytes, as: UTF8.self).hasPrefix(#"{"message_id":"0190b1a5-6d3c-7a4e-9b2f-0123456789ab","type":"MESSAGE","#))
        #expect(try decodeBoth(bytes).get() == signed)
        _ = try bytes.withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: aliceKey.publicKey) }

        var broadcast = sample
        broadcast.toEntity = .broadcast
        broadcast.payload = ["s": "quote \" and \\ and \n"]
        let again = broadcast.signed(with: aliceKey)
        #expect(try decodeBoth(again.encoded()).get() == again)
        var nobody = sample
        nobody.toEntity = nil
        nobody.type = .heartbeat
        nobody.payload = [:]
        let third = nobody.signed(with: aliceKey)
        #expect(try decodeBoth(third.encoded()).get() == third)
        _ = try third.encoded().withUnsafeBytes { try EnvelopeVerifier.verify($0, publicKey: aliceKey.publicKey) }
    }

    @Test func reusingAScratchBufferGivesTheSameSignature() {
        var scratch: [UInt8] = Array(repeating: 7, count: 10)
        #expect(sample.signed(with: aliceKey, scratch: &scratch) == sample.signed(with: aliceKey))
    }
}

func standardBase64(_ bytes: [UInt8]) -> String {
    var text = Base64URL.encode(bytes).replacingOccurrencesOf("-", with: "+").replacingOccurrencesOf("_", with: "/")
    while text.utf8.count % 4 != 0 { text += "=" }
    return text
}

extension String {
    func replacingOccurrencesOf(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
