import RingwayEnvelope
import RingwayServer
import Testing

/// The allow-list file format and its decisions.
struct AllowlistTests {
    func id(_ text: String) -> EntityID { EntityID(text)! }

    func decode(_ text: String, limits: Allowlist.Limits = Allowlist.Limits()) throws -> Allowlist {
        try Allowlist.decode(Array(text.utf8), limits: limits)
    }

    func reason(_ text: String, limits: Allowlist.Limits = Allowlist.Limits()) -> String? {
        do {
            _ = try Allowlist.decode(Array(text.utf8), limits: limits)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func documentedExample() throws {
        let list = try decode(#"""
            {"entities": {"alice": {"send_to": ["bob","carol"], "broadcast": true, "events": true},
                          "bob": {"send_to": ["*"]}, "carol": {"events": false}}}
            """#)
        #expect(list.rules.count == 3)
        #expect(list.mayConnect(id("alice")) && list.mayConnect(id("bob")) && list.mayConnect(id("carol")))
        #expect(!list.mayConnect(id("mallory")))

        #expect(list.maySend(id("alice"), to: .entity(id("bob"))))
        #expect(list.maySend(id("alice"), to: .entity(id("carol"))))
        #expect(!list.maySend(id("alice"), to: .entity(id("dave"))))
        #expect(list.maySend(id("alice"), to: .broadcast))

        // "*" is any entity, not broadcast; broadcast defaults to false.
        #expect(list.maySend(id("bob"), to: .entity(id("dave"))))
        #expect(!list.maySend(id("bob"), to: .broadcast))
        // No send_to: nobody.
        #expect(!list.maySend(id("carol"), to: .entity(id("alice"))))
        #expect(!list.maySend(id("mallory"), to: .entity(id("alice"))))

        // events defaults to true.
        #expect(list.maySubscribe(id("alice")) && list.maySubscribe(id("bob")))
        #expect(!list.maySubscribe(id("carol")))
        #expect(!list.maySubscribe(id("mallory")))
    }

    @Test func emptyListAllowsNobody() throws {
        let list = try decode(#"{"entities":{}}"#)
        #expect(!list.mayConnect(id("alice")))
    }

    @Test(arguments: [
        ("[]", "must be one JSON object"),
        ("{}", #""entities" must be an object"#),
        (#"{"entities":[]}"#, #""entities" must be an object"#),
        (#"{"entities":{},"version":1}"#, #"unknown key "version""#),
        (#"{"entities":{"bad id":{}}}"#, #""bad id" is not an entity id"#),
        (#"{"entities":{"*":{}}}"#, #""*" is not an entity id"#),
        (#"{"entities":{"alice":true}}"#, #"the rule of "alice" must be an object"#),
        (#"{"entities":{"alice":{"send_to":"bob"}}}"#, #"send_to of "alice" must be an array"#),
        (#"{"entities":{"alice":{"send_to":["bob",7]}}}"#, #"send_to of "alice" must hold entity ids"#),
        (#"{"entities":{"alice":{"send_to":["no way"]}}}"#, #"send_to of "alice" must hold entity ids"#),
        (#"{"entities":{"alice":{"broadcast":"yes"}}}"#, #"broadcast of "alice" must be true or false"#),
        (#"{"entities":{"alice":{"events":1}}}"#, #"events of "alice" must be true or false"#),
        (#"{"entities":{"alice":{"sendto":[]}}}"#, #"unknown key "sendto" in the rule of "alice""#),
        (#"{"entities":{"alice":{},"alice":{}}}"#, "not valid JSON"),
        ("not json", "not valid JSON"),
    ])
    func invalidFilesAreRefusedWithTheirReason(text: String, expected: String) {
        let found = reason(text)
        #expect(found?.contains(expected) == true, "\(found ?? "accepted")")
    }

    @Test func boundsOnSizeAndEntities() {
        let limits = Allowlist.Limits(maxFileBytes: 64, maxEntities: 2)
        #expect(reason(#"{"entities":{"a":{},"b":{}}}"#, limits: limits) == nil)
        #expect(reason(#"{"entities":{"a":{},"b":{},"c":{}}}"#, limits: limits)?.contains("more than 2 entities") == true)
        let long = #"{"entities":{"a":{"send_to":[""# + String(repeating: "b", count: 60) + #""]}}}"#
        #expect(reason(long, limits: limits)?.contains("larger than 64 bytes") == true)
    }
}
