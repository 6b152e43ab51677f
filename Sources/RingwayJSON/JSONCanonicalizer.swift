/// The JSON Canonicalization Scheme of RFC 8785: no whitespace, object members sorted by the
/// UTF-16 code units of their names, strings escaped minimally (section 3.2.2.2) and numbers in
/// ECMAScript form (section 3.2.2.3). The output is the byte string that gets signed.
public enum JSONCanonicalizer {
    /// Appends the canonical form of `value` to `output`.
    public static func write(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .null, .bool, .number, .string:
            JSONWriter.write(value, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                write(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            writeObject(object, into: &output)
        }
    }

    /// The canonical form of `value`.
    public static func canonicalize(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        write(value, into: &output)
        return output
    }

    /// Appends the canonical form of `object`.
    public static func writeObject(_ object: JSONObject, into output: inout [UInt8]) {
        writeObject(object, excluding: nil, into: &output)
    }

    /// Appends the canonical form of `object` without its member called `excludedName`, if any:
    /// the form a signature over "the document without its `signature` member" covers.
    public static func writeObject(_ object: JSONObject, excluding excludedName: String?, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        let members = object.members
        var first = true
        func emit(_ member: JSONObject.Member) {
            if let excludedName, member.name.hasSameUTF8(as: excludedName) { return }
            writeMember(member, first: first, into: &output)
            first = false
        }
        if members.count <= 1 || isSorted(members) {
            for member in members { emit(member) }
        } else if members.count <= 64 {
            // Sort member positions in stack memory: no allocation for ordinary objects.
            withUnsafeTemporaryAllocation(of: Int.self, capacity: members.count) { buffer in
                var order = buffer
                for index in members.indices { (order.baseAddress! + index).initialize(to: index) }
                order.sort { precedes(members[$0].name, members[$1].name) }
                for index in order { emit(members[index]) }
            }
        } else {
            let order = members.indices.sorted { precedes(members[$0].name, members[$1].name) }
            for index in order { emit(members[index]) }
        }
        output.append(UInt8(ascii: "}"))
    }

    /// True when `lhs` sorts before `rhs` in RFC 8785 order (UTF-16 code units, unsigned).
    public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf16.lexicographicallyPrecedes(rhs.utf16)
    }

    private static func isSorted(_ members: [JSONObject.Member]) -> Bool {
        for index in members.indices.dropFirst() where !precedes(members[index - 1].name, members[index].name) {
            return false
        }
        return true
    }

    private static func writeMember(_ member: JSONObject.Member, first: Bool, into output: inout [UInt8]) {
        if !first { output.append(UInt8(ascii: ",")) }
        JSONWriter.writeString(member.name, into: &output)
        output.append(UInt8(ascii: ":"))
        write(member.value, into: &output)
    }
}
