/// One header field: a name and its value, as received or to be sent.
public struct HTTPField: Sendable, Hashable {
    /// The field name as sent (case is preserved; comparisons ignore it).
    public var name: String
    /// The field value without leading or trailing whitespace.
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// An ordered list of header fields with ASCII case-insensitive lookup by name.
///
/// Order and repeated fields are kept as received: framing decisions depend on seeing every
/// `Content-Length` and `Transfer-Encoding` field, not a merged one.
///
/// Fields are stored as bytes in one buffer with an index of ranges, so a parsed head costs two
/// allocations however many fields it has; `String`s are made only when a value is read.
/// Lookups and token checks compare bytes and allocate nothing.
public struct HTTPHeaders: Sendable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    struct Entry: Sendable {
        var nameStart: Int
        var nameEnd: Int
        var valueStart: Int
        var valueEnd: Int
    }

    /// Name and value bytes; for parsed headers, a copy of the received field lines.
    private(set) var storage: [UInt8]
    private(set) var entries: [Entry]

    /// An empty header list.
    public init() {
        storage = []
        entries = []
    }

    /// A header list holding `fields` in order.
    public init(_ fields: [HTTPField]) {
        self.init()
        for field in fields { add(name: field.name, value: field.value) }
    }

    /// A header list from `(name, value)` pairs, in order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init()
        for (name, value) in elements { add(name: name, value: value) }
    }

    /// Headers over `storage`, whose ranges the parser has validated.
    init(storage: [UInt8], entries: [Entry]) {
        self.storage = storage
        self.entries = entries
    }

    public var startIndex: Int { entries.startIndex }
    public var endIndex: Int { entries.endIndex }

    public subscript(position: Int) -> HTTPField {
        let entry = entries[position]
        return HTTPField(name: string(entry.nameStart, entry.nameEnd), value: string(entry.valueStart, entry.valueEnd))
    }

    /// Appends a field, keeping any existing fields of the same name.
    public mutating func add(name: String, value: String) {
        let nameStart = storage.count
        storage.append(contentsOf: name.utf8)
        let valueStart = storage.count
        storage.append(contentsOf: value.utf8)
        entries.append(Entry(nameStart: nameStart, nameEnd: valueStart, valueStart: valueStart, valueEnd: storage.count))
    }

    /// Removes every field named `name`, then appends one with `value`.
    public mutating func replaceOrAdd(name: String, value: String) {
        remove(name: name)
        add(name: name, value: value)
    }

    /// Removes every field named `name`.
    public mutating func remove(name: String) {
        let storage = self.storage
        entries.removeAll { Self.nameMatches(storage, $0, name) }
        if entries.isEmpty { self.storage.removeAll(keepingCapacity: true) }
    }

    /// The value of the first field named `name`.
    public func first(name: String) -> String? {
        firstEntry(name).map { string($0.valueStart, $0.valueEnd) }
    }

    /// The values of every field named `name`, in order.
    public func values(name: String) -> [String] {
        var result: [String] = []
        for entry in entries where nameMatches(entry, name) {
            result.append(string(entry.valueStart, entry.valueEnd))
        }
        return result
    }

    /// How many fields are named `name`.
    public func count(name: String) -> Int {
        var count = 0
        for entry in entries where nameMatches(entry, name) { count += 1 }
        return count
    }

    /// Whether any field is named `name`.
    public func contains(name: String) -> Bool {
        firstEntry(name) != nil
    }

    /// The comma-separated list elements of every field named `name`, trimmed of whitespace,
    /// empty elements skipped (RFC 9110 §5.6.1). Quoted strings are not interpreted.
    public func listElements(name: String) -> [Substring] {
        var result: [Substring] = []
        for value in values(name: name) {
            for element in value.split(separator: ",", omittingEmptySubsequences: true) {
                let trimmed = element.trimmingHTTPWhitespace()
                if !trimmed.isEmpty { result.append(trimmed) }
            }
        }
        return result
    }

    /// Whether a list-valued field named `name` contains `token`, ignoring ASCII case
    /// (for example `Connection: keep-alive, Upgrade` contains `upgrade`).
    public func containsToken(_ token: String, inField name: String) -> Bool {
        for entry in entries where nameMatches(entry, name) {
            var elementStart = entry.valueStart
            while elementStart <= entry.valueEnd {
                var elementEnd = elementStart
                while elementEnd < entry.valueEnd, storage[elementEnd] != UInt8(ascii: ",") { elementEnd += 1 }
                var start = elementStart
                var end = elementEnd
                while start < end, storage[start] == HTTPSyntax.sp || storage[start] == HTTPSyntax.htab { start += 1 }
                while end > start, storage[end - 1] == HTTPSyntax.sp || storage[end - 1] == HTTPSyntax.htab { end -= 1 }
                if bytesEqualIgnoringCase(start, end, token) { return true }
                elementStart = elementEnd + 1
            }
        }
        return false
    }

    /// Calls `body` with the name and value bytes of each field, in order.
    func forEachField(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws(HTTPWriterError) -> Void) throws(HTTPWriterError) {
        let result: Result<Void, HTTPWriterError> = storage.withUnsafeBytes { raw in
            for entry in entries {
                do throws(HTTPWriterError) {
                    try body(
                        UnsafeRawBufferPointer(rebasing: raw[entry.nameStart..<entry.nameEnd]),
                        UnsafeRawBufferPointer(rebasing: raw[entry.valueStart..<entry.valueEnd]))
                } catch {
                    return .failure(error)
                }
            }
            return .success(())
        }
        try result.get()
    }

    private func firstEntry(_ name: String) -> Entry? {
        for entry in entries where nameMatches(entry, name) { return entry }
        return nil
    }

    @inline(__always)
    private func nameMatches(_ entry: Entry, _ name: String) -> Bool {
        Self.nameMatches(storage, entry, name)
    }

    private static func nameMatches(_ storage: [UInt8], _ entry: Entry, _ name: String) -> Bool {
        equalIgnoringCase(storage, entry.nameStart, entry.nameEnd, name)
    }

    private func bytesEqualIgnoringCase(_ start: Int, _ end: Int, _ text: String) -> Bool {
        Self.equalIgnoringCase(storage, start, end, text)
    }

    private static func equalIgnoringCase(_ storage: [UInt8], _ start: Int, _ end: Int, _ text: String) -> Bool {
        guard text.utf8.count == end - start else { return false }
        var index = start
        for byte in text.utf8 {
            if HTTPSyntax.lowercased(storage[index]) != HTTPSyntax.lowercased(byte) { return false }
            index += 1
        }
        return true
    }

    private func string(_ start: Int, _ end: Int) -> String {
        storage.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
    }
}

extension HTTPHeaders: Hashable {
    /// Equal when both hold the same fields in the same order (names compared exactly).
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        guard lhs.entries.count == rhs.entries.count else { return false }
        for (left, right) in zip(lhs.entries, rhs.entries) {
            guard lhs.storage[left.nameStart..<left.nameEnd].elementsEqual(rhs.storage[right.nameStart..<right.nameEnd]),
                lhs.storage[left.valueStart..<left.valueEnd].elementsEqual(rhs.storage[right.valueStart..<right.valueEnd])
            else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(entries.count)
        for entry in entries {
            storage.withUnsafeBytes { raw in
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw[entry.nameStart..<entry.nameEnd]))
                hasher.combine(0xFF as UInt8)
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw[entry.valueStart..<entry.valueEnd]))
                hasher.combine(0xFF as UInt8)
            }
        }
    }
}

extension HTTPHeaders: CustomStringConvertible {
    public var description: String {
        "[" + map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "]"
    }
}

extension Substring {
    /// Drops leading and trailing SP / HTAB (OWS).
    package func trimmingHTTPWhitespace() -> Substring {
        var result = self
        while let first = result.utf8.first, first == HTTPSyntax.sp || first == HTTPSyntax.htab {
            result = result.dropFirst()
        }
        while let last = result.utf8.last, last == HTTPSyntax.sp || last == HTTPSyntax.htab {
            result = result.dropLast()
        }
        return result
    }
}
