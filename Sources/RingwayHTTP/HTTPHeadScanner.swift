/// Finds the end of a head (start line and field lines) or a trailer section as bytes arrive,
/// enforcing the size limits on the way so that an oversized head is refused before it is
/// buffered whole. Offsets are relative to the first byte of the section, and scanning resumes
/// where it stopped, so feeding byte by byte costs the same as feeding whole.
struct HTTPHeadScanner: Sendable {
    struct Limits: Sendable {
        /// Longest start line without CRLF, or `nil` for a trailer section (no start line).
        var startLine: Int?
        var block: Int
        var blockError: HTTPParserError.Kind
        var fields: Int
    }

    private var position = 0
    private var lineStart = 0
    private var blockStart = 0
    /// Field lines seen so far; complete once `scan` returned a length.
    private(set) var fieldCount = 0
    private var inStartLine: Bool

    init(hasStartLine: Bool) {
        inStartLine = hasStartLine
    }

    /// Whether no byte of the section has been examined yet.
    var isAtStart: Bool { position == 0 }

    /// Returns the section length including its final empty line once it is complete.
    mutating func scan(_ bytes: UnsafeRawBufferPointer, limits: Limits) throws(HTTPParserError) -> Int? {
        while position < bytes.count {
            guard let lf = Self.indexOfLF(bytes, from: position) else {
                position = bytes.count
                break
            }
            // A limit that the bytes before this LF already broke wins over anything else, so
            // that the error is the same however the input was split.
            try checkPartial(upTo: lf, limits: limits)
            guard lf > lineStart, bytes[lf - 1] == HTTPSyntax.cr else { throw HTTPParserError(.bareLF) }
            let lineLength = lf - 1 - lineStart
            position = lf + 1
            if inStartLine {
                if let limit = limits.startLine, lineLength > limit { throw HTTPParserError(.requestLineTooLong) }
                inStartLine = false
                blockStart = position
            } else {
                if position - blockStart > limits.block { throw HTTPParserError(limits.blockError) }
                if lineLength == 0 { return position }
                fieldCount += 1
                if fieldCount > limits.fields { throw HTTPParserError(.tooManyHeaders) }
            }
            lineStart = position
        }
        // Incomplete: refuse as soon as the partial line already breaks a limit.
        try checkPartial(upTo: position, limits: limits)
        return nil
    }

    /// Throws when the bytes before `end` (no LF among them on the current line) can no longer
    /// fit: a start line longer than its limit plus the CR, or a block over its limit.
    private func checkPartial(upTo end: Int, limits: Limits) throws(HTTPParserError) {
        if inStartLine {
            if let limit = limits.startLine, end - lineStart > limit + 1 { throw HTTPParserError(.requestLineTooLong) }
        } else if end - blockStart > limits.block {
            throw HTTPParserError(limits.blockError)
        }
    }

    @inline(__always)
    static func indexOfLF(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == HTTPSyntax.lf { return index }
            index += 1
        }
        return nil
    }
}
