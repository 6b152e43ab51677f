import RingwayCrypto
import Testing

@Suite("UUIDs")
struct WireUUIDTests {
    /// RFC 9562 Appendix A.6: the example UUIDv7.
    @Test func rfc9562Example() throws {
        let uuid = WireUUID.v7(unixMilliseconds: 0x017F_22E2_79B0, randomA: 0xCC3, randomB: 0x18C4_DC0C_0C07_398F)
        #expect(uuid.description == "017f22e2-79b0-7cc3-98c4-dc0c0c07398f")
        #expect(uuid == WireUUID("017F22E2-79B0-7CC3-98C4-DC0C0C07398F"))
        #expect(uuid.version == 7)
        #expect(uuid.unixMilliseconds == 0x017F_22E2_79B0)
    }

    @Test func generatedV7HasVersionVariantAndTime() throws {
        let clock = FixedUnixClock(milliseconds: 1_700_000_000_123)
        let uuid = WireUUID.v7(clock: clock)
        #expect(uuid.version == 7)
        #expect(uuid.low >> 62 == 0b10)
        #expect(uuid.unixMilliseconds == 1_700_000_000_123)
        #expect(WireUUID.v7(clock: clock) != uuid)
        let later = WireUUID.v7(unixMilliseconds: 1_700_000_000_124)
        #expect(uuid < later)
        let text = uuid.description
        #expect(WireUUID(text) == uuid)
        #expect(WireUUID(bytes: uuid.bytes) == uuid)
    }

    @Test func systemClockIsPlausible() {
        // 2023-01-01 onwards.
        #expect(SystemUnixClock().unixSeconds() > 1_672_531_200)
    }

    @Test(arguments: [
        "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "123e4567-e89b-12d3-a456-426614174000", "017F22E2-79b0-7cc3-98c4-DC0C0C07398F",
    ])
    func canonicalFormsParse(_ text: String) {
        #expect(WireUUID.isCanonical(text))
        #expect(WireUUID(text)?.description == text.lowercased())
    }

    @Test(arguments: [
        "", "017f22e279b07cc398c4dc0c0c07398f", "{017f22e2-79b0-7cc3-98c4-dc0c0c07398f}",
        "017f22e2-79b0-7cc3-98c4-dc0c0c07398", "017f22e2-79b0-7cc3-98c4-dc0c0c07398f0",
        "017f22e279b0-7cc3-98c4-dc0c0c07398f-", "017f22e2_79b0_7cc3_98c4_dc0c0c07398f",
        "017f22g2-79b0-7cc3-98c4-dc0c0c07398f", "urn:uuid:017f22e2-79b0-7cc3-98c4-dc0c0c07398f",
        " 017f22e2-79b0-7cc3-98c4-dc0c0c07398f", "017f22e2-79b0-7cc3-98c4-dc0c0c07398é",
    ])
    func nonCanonicalFormsAreRefused(_ text: String) {
        #expect(!WireUUID.isCanonical(text))
    }
}
