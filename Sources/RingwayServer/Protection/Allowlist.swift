import RingwayEnvelope
import RingwayJSON

/// The allow-list file (`allowlist_file`): which entities may connect, to whom each may send,
/// whether it may broadcast and subscribe to `/ws/v1/events`.
///
/// ```json
/// {"entities": {
///   "alice": {"send_to": ["bob", "carol"], "broadcast": true, "events": true},
///   "bob":   {"send_to": ["*"]}
/// }}
/// ```
///
/// An entity not listed may not authenticate or connect. `send_to` lists the recipients it may
/// send to (`"*"`: any entity; absent: none); `broadcast` (default false) lets it send to `*`;
/// `events` (default true) lets it subscribe to the events stream. Unknown keys are refused.
public struct Allowlist: Sendable, Hashable {
    /// What one listed entity may do.
    public struct Rule: Sendable, Hashable {
        /// Recipients it may send to.
        public var sendTo: Set<EntityID>
        /// True when `send_to` has `"*"`: it may send to any entity.
        public var sendToAny: Bool
        /// Whether it may send to `*` (broadcast).
        public var broadcast: Bool
        /// Whether it may subscribe to `/ws/v1/events`.
        public var events: Bool

        /// Creates a rule.
        public init(sendTo: Set<EntityID> = [], sendToAny: Bool = false, broadcast: Bool = false, events: Bool = true) {
            self.sendTo = sendTo
            self.sendToAny = sendToAny
            self.broadcast = broadcast
            self.events = events
        }
    }

    /// Bounds on the file, checked while it is read.
    public struct Limits: Sendable, Hashable {
        /// Largest file, in bytes.
        public var maxFileBytes: Int
        /// Most entities listed.
        public var maxEntities: Int

        /// Creates limits; the defaults are the daemon's (4 MiB, 100,000 entities).
        public init(maxFileBytes: Int = 4 << 20, maxEntities: Int = 100_000) {
            self.maxFileBytes = maxFileBytes
            self.maxEntities = maxEntities
        }
    }

    /// Why a file was refused.
    public struct DecodeError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong, naming the entry.
        public let reason: String
        public var description: String { reason }
    }

    /// The listed entities.
    public var rules: [EntityID: Rule]

    /// Creates a list.
    public init(rules: [EntityID: Rule]) {
        self.rules = rules
    }

    /// Whether `entity` may authenticate and connect.
    public func mayConnect(_ entity: EntityID) -> Bool {
        rules[entity] != nil
    }

    /// Whether `entity` may subscribe to `/ws/v1/events`.
    public func maySubscribe(_ entity: EntityID) -> Bool {
        rules[entity]?.events ?? false
    }

    /// Whether `sender` may send to `recipient`.
    public func maySend(_ sender: EntityID, to recipient: Recipient) -> Bool {
        guard let rule = rules[sender] else { return false }
        switch recipient {
        case .broadcast: return rule.broadcast
        case .entity(let id): return rule.sendToAny || rule.sendTo.contains(id)
        }
    }

    /// Reads a file's contents.
    public static func decode(_ bytes: [UInt8], limits: Limits = Limits()) throws(DecodeError) -> Allowlist {
        guard bytes.count <= limits.maxFileBytes else {
            throw DecodeError(reason: "larger than \(limits.maxFileBytes) bytes")
        }
        let jsonLimits = JSONLimits(
            maxDocumentBytes: limits.maxFileBytes, maxNestingDepth: 4, maxStringBytes: 256, maxNumberLength: 32,
            maxObjectMembers: max(limits.maxEntities, 4), maxArrayElements: max(limits.maxEntities, 1))
        let document: JSONValue
        do {
            document = try JSONReader.parse(bytes, limits: jsonLimits)
        } catch {
            throw DecodeError(reason: "not valid JSON: \(error)")
        }
        guard let top = document.objectValue else {
            throw DecodeError(reason: #"must be one JSON object {"entities": {...}}"#)
        }
        for member in top.members where member.name != "entities" {
            throw DecodeError(reason: "unknown key \"\(member.name)\" (allowed: entities)")
        }
        guard let entities = top["entities"]?.objectValue else {
            throw DecodeError(reason: #""entities" must be an object mapping entity ids to their rules"#)
        }
        guard entities.count <= limits.maxEntities else {
            throw DecodeError(reason: "more than \(limits.maxEntities) entities")
        }
        var rules: [EntityID: Rule] = [:]
        rules.reserveCapacity(entities.count)
        for member in entities.members {
            guard let entity = EntityID(member.name) else {
                throw DecodeError(reason: "\"\(member.name)\" is not an entity id (1 to 64 characters from A-Z a-z 0-9 . _ -)")
            }
            rules[entity] = try rule(member.value, of: member.name)
        }
        return Allowlist(rules: rules)
    }

    private static func rule(_ value: JSONValue, of entity: String) throws(DecodeError) -> Rule {
        guard let object = value.objectValue else {
            throw DecodeError(reason: "the rule of \"\(entity)\" must be an object")
        }
        var rule = Rule()
        for member in object.members {
            switch member.name {
            case "send_to":
                guard let list = member.value.arrayValue else {
                    throw DecodeError(reason: "send_to of \"\(entity)\" must be an array of entity ids or \"*\"")
                }
                for item in list {
                    switch item.stringValue.flatMap(Recipient.init) {
                    case .broadcast?: rule.sendToAny = true
                    case .entity(let id)?: rule.sendTo.insert(id)
                    case nil: throw DecodeError(reason: "send_to of \"\(entity)\" must hold entity ids or \"*\"")
                    }
                }
            case "broadcast", "events":
                guard let flag = member.value.boolValue else {
                    throw DecodeError(reason: "\(member.name) of \"\(entity)\" must be true or false")
                }
                if member.name == "broadcast" { rule.broadcast = flag } else { rule.events = flag }
            default:
                throw DecodeError(reason: "unknown key \"\(member.name)\" in the rule of \"\(entity)\" (allowed: send_to, broadcast, events)")
            }
        }
        return rule
    }
}
