/// A JSON object: members in their document order, with unique names.
///
/// Names compare by their UTF-8 bytes (that is, by code points), never by Swift's canonical
/// equivalence, so `"é"` and `"e\u{301}"` are two different names as JSON requires.
/// Two objects are equal when they have the same members, whatever their order.
public struct JSONObject: Sendable {
    /// One `name: value` pair.
    public struct Member: Sendable, Hashable {
        /// The member name.
        public var name: String
        /// The member value.
        public var value: JSONValue

        /// Creates a member.
        public init(name: String, value: JSONValue) {
            self.name = name
            self.value = value
        }

        public static func == (lhs: Member, rhs: Member) -> Bool {
            lhs.name.hasSameUTF8(as: rhs.name) && lhs.value == rhs.value
        }

        public func hash(into hasher: inout Hasher) {
            JSONValue.hashUTF8(name, into: &hasher)
            hasher.combine(value)
        }
    }

    /// The members in document (or insertion) order.
    public private(set) var members: [Member]

    /// An empty object.
    public init() {
        members = []
    }

    /// An object with these members. Duplicate names are a programming error.
    public init(_ members: [Member]) {
        for index in members.indices {
            for other in members.indices where other < index {
                precondition(!members[other].name.hasSameUTF8(as: members[index].name),
                             "duplicate JSON member name \(members[index].name)")
            }
        }
        self.members = members
    }

    /// Members already known to be unique (the reader checked them).
    init(uniqueMembers members: [Member]) {
        self.members = members
    }

    /// The number of members.
    public var count: Int { members.count }

    /// True when the object has no member.
    public var isEmpty: Bool { members.isEmpty }

    /// The value of the member called `name`; setting nil removes it, setting a new name appends it.
    public subscript(name: String) -> JSONValue? {
        get {
            guard let index = index(ofName: name) else { return nil }
            return members[index].value
        }
        set {
            if let index = index(ofName: name) {
                if let newValue {
                    members[index].value = newValue
                } else {
                    members.remove(at: index)
                }
            } else if let newValue {
                members.append(Member(name: name, value: newValue))
            }
        }
    }

    /// Removes the member called `name` and returns its value.
    @discardableResult
    public mutating func removeValue(forName name: String) -> JSONValue? {
        guard let index = index(ofName: name) else { return nil }
        return members.remove(at: index).value
    }

    /// The position of the member called `name`.
    public func index(ofName name: String) -> Int? {
        members.firstIndex { $0.name.hasSameUTF8(as: name) }
    }
}

extension JSONObject: Hashable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for member in lhs.members {
            guard let other = rhs[member.name], other == member.value else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent, because equality ignores member order.
        var combined = 0
        for member in members { combined = combined &+ member.hashValue }
        hasher.combine(members.count)
        hasher.combine(combined)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { Member(name: $0.0, value: $0.1) })
    }
}
