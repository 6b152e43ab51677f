/// Member names of the objects currently open during a parse, kept as a stack so that each object
/// checks its new names against its own earlier ones (RFC 7493 section 2.3: no duplicates).
///
/// The first records live in caller-provided (stack) memory; only unusually wide or deep documents
/// spill into a heap array, so typical documents are checked without allocating.
struct JSONKeyLedger {
    struct Record {
        var hash: UInt64
        var token: JSONStringToken
    }

    // 24 records of 40 bytes stay under the 1 KiB that temporary allocations always keep on the stack.
    static let inlineCapacity = 24

    private let inline: UnsafeMutableBufferPointer<Record>
    private var overflow: [Record] = []
    private(set) var count = 0

    init(inline: UnsafeMutableBufferPointer<Record>) {
        self.inline = inline
    }

    /// Runs `body` with a ledger whose first records live in temporary stack memory.
    static func withLedger<R>(_ body: (inout JSONKeyLedger) -> R) -> R {
        withUnsafeTemporaryAllocation(of: Record.self, capacity: inlineCapacity) { buffer in
            var ledger = JSONKeyLedger(inline: buffer)
            return body(&ledger)
        }
    }

    /// Records `name` for the object whose names start at `objectBase`, or throws if it repeats one.
    mutating func insert(
        _ name: JSONStringToken,
        objectBase: Int,
        document: UnsafeRawBufferPointer
    ) throws(JSONError) {
        let hash = name.decodedHash(in: document)
        var position = objectBase
        while position < count {
            let record = self[position]
            if record.hash == hash && record.token.decodedEquals(name, in: document, otherDocument: document) {
                throw JSONError(.duplicateMember, at: name.contentRange.lowerBound - 1)
            }
            position += 1
        }
        let record = Record(hash: hash, token: name)
        if count < inline.count {
            (inline.baseAddress! + count).initialize(to: record)
        } else {
            overflow.append(record)
        }
        count += 1
    }

    /// Forgets the names of the object that just closed.
    mutating func truncate(to newCount: Int) {
        if newCount < inline.count {
            overflow.removeAll(keepingCapacity: true)
        } else {
            overflow.removeLast(count - newCount)
        }
        count = newCount
    }

    private subscript(position: Int) -> Record {
        position < inline.count ? inline[position] : overflow[position - inline.count]
    }
}
