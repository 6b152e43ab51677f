import RingwayCrypto
import Testing

@Suite("base64url (RFC 4648)")
struct Base64URLTests {
    /// RFC 4648 section 10 test vectors, unpadded.
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648Vectors(_ plain: String, _ encoded: String) throws {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(try Base64URL.decode(encoded) == Array(plain.utf8))
        #expect(try Base64URL.decodeStrict(encoded) == Array(plain.utf8))
    }

    @Test(arguments: [("Zg==", "f"), ("Zm8=", "fo"), ("Zm9vYg==", "foob"), ("Zm9vYmE=", "fooba")])
    func paddedInputIsAccepted(_ encoded: String, _ plain: String) throws {
        #expect(try Base64URL.decode(encoded) == Array(plain.utf8))
        #expect(throws: CryptoError.invalidBase64) { try Base64URL.decodeStrict(encoded) }
    }

    @Test func urlSafeAlphabetOnOutputStandardAcceptedOnInput() throws {
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.encode([0xFB, 0xEF, 0xBE]) == "----")
        #expect(try Base64URL.decode("-_8") == [0xFB, 0xFF])
        #expect(try Base64URL.decode("+/8=") == [0xFB, 0xFF])
        #expect(try Base64URL.decode("+/8") == [0xFB, 0xFF])
        #expect(throws: CryptoError.invalidBase64) { try Base64URL.decodeStrict("+/8") }
    }

    @Test(arguments: [
        "Z", "Zm9vY", "Zm9v=", "Zg=", "Zg===", "Zm8==", "Z===", "Zm 9v", "Zm9v\n", "Zh", "Zm9", "Zm=8",
        "=Zm8", "Zm9v!", "é",
    ])
    func invalidTextIsRefused(_ text: String) {
        #expect(throws: CryptoError.invalidBase64) { try Base64URL.decode(text) }
    }

    @Test func randomRoundTrips() throws {
        for length in 0..<70 {
            let bytes = SecureRandom.bytes(count: length)
            let text = Base64URL.encode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(try Base64URL.decode(text) == bytes)
        }
    }
}
