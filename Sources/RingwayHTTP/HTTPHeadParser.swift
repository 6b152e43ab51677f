/// Parses a complete head (already delimited and size-checked by `HTTPHeadScanner`) into
/// its start line and fields, enforcing the RFC 9112 grammar strictly.
///
/// Line endings: only CRLF is accepted. RFC 9112 §2.2 lets a recipient accept a bare LF,
/// but two parsers that disagree on line endings are the root of request smuggling, so a bare
/// LF is refused like a bare CR (which §2.2 lets us refuse outright).
enum HTTPHeadParser {
    static func parseRequestHead(_ head: UnsafeRawBufferPointer, fieldCount: Int) throws(HTTPParserError) -> RequestHead {
        let lineEnd = endOfLine(head, from: 0)
        guard let firstSpace = indexOf(HTTPSyntax.sp, in: head, from: 0, to: lineEnd) else {
            throw HTTPParserError(.invalidStartLine)
        }
        guard firstSpace > 0 else { throw HTTPParserError(.invalidMethod) }
        for index in 0..<firstSpace where !HTTPSyntax.isTokenChar(head[index]) {
            throw HTTPParserError(head[index] == HTTPSyntax.cr ? .bareCR : .invalidMethod)
        }
        let targetStart = firstSpace + 1
        guard let secondSpace = indexOf(HTTPSyntax.sp, in: head, from: targetStart, to: lineEnd),
            secondSpace > targetStart
        else { throw HTTPParserError(.invalidStartLine) }
        for index in targetStart..<secondSpace where !HTTPSyntax.isVisibleASCII(head[index]) || head[index] == UInt8(ascii: "#") {
            throw HTTPParserError(head[index] == HTTPSyntax.cr ? .bareCR : .invalidTarget)
        }
        let version = try parseVersion(head, from: secondSpace + 1, to: lineEnd)
        let method = HTTPMethod(rawValue: string(head, 0, firstSpace))
        let target = string(head, targetStart, secondSpace)
        try validateTargetForm(target, method: method)
        let headers = try parseFieldLines(head, from: lineEnd + 2, expectedCount: fieldCount)
        return RequestHead(method: method, target: target, version: version, headers: headers)
    }

    static func parseResponseHead(_ head: UnsafeRawBufferPointer, fieldCount: Int) throws(HTTPParserError) -> ResponseHead {
        let lineEnd = endOfLine(head, from: 0)
        guard let firstSpace = indexOf(HTTPSyntax.sp, in: head, from: 0, to: lineEnd) else {
            throw HTTPParserError(.invalidStartLine)
        }
        let version = try parseVersion(head, from: 0, to: firstSpace)
        let codeStart = firstSpace + 1
        guard codeStart + 3 <= lineEnd else { throw HTTPParserError(.invalidStartLine) }
        var code = 0
        for index in codeStart..<(codeStart + 3) {
            guard HTTPSyntax.isDigit(head[index]) else { throw HTTPParserError(.invalidStartLine) }
            code = code * 10 + Int(head[index] - 0x30)
        }
        guard (100...599).contains(code) else { throw HTTPParserError(.invalidStatusCode) }
        var reason = ""
        let afterCode = codeStart + 3
        if afterCode < lineEnd {
            guard head[afterCode] == HTTPSyntax.sp else { throw HTTPParserError(.invalidStartLine) }
            for index in (afterCode + 1)..<lineEnd where !HTTPSyntax.isFieldValueChar(head[index]) {
                throw HTTPParserError(head[index] == HTTPSyntax.cr ? .bareCR : .invalidStartLine)
            }
            reason = string(head, afterCode + 1, lineEnd)
        }
        let headers = try parseFieldLines(head, from: lineEnd + 2, expectedCount: fieldCount)
        return ResponseHead(version: version, status: HTTPStatus(code: code, reasonPhrase: reason), headers: headers)
    }

    /// Parses field lines from `start` up to the empty line that ends the section. The lines
    /// are copied once into the headers' storage; fields are ranges of that copy.
    static func parseFieldLines(_ head: UnsafeRawBufferPointer, from start: Int, expectedCount: Int) throws(HTTPParserError) -> HTTPHeaders {
        var entries: [HTTPHeaders.Entry] = []
        entries.reserveCapacity(expectedCount)
        var lineStart = start
        while true {
            let lineEnd = endOfLine(head, from: lineStart)
            if lineEnd == lineStart { break }
            let first = head[lineStart]
            if first == HTTPSyntax.sp || first == HTTPSyntax.htab { throw HTTPParserError(.obsoleteLineFolding) }
            var colon = lineStart
            while colon < lineEnd, head[colon] != HTTPSyntax.colon {
                guard HTTPSyntax.isTokenChar(head[colon]) else {
                    throw HTTPParserError(head[colon] == HTTPSyntax.cr ? .bareCR : .invalidHeaderName)
                }
                colon += 1
            }
            guard colon < lineEnd, colon > lineStart else { throw HTTPParserError(.invalidHeaderName) }
            var valueStart = colon + 1
            var valueEnd = lineEnd
            while valueStart < valueEnd, head[valueStart] == HTTPSyntax.sp || head[valueStart] == HTTPSyntax.htab {
                valueStart += 1
            }
            while valueEnd > valueStart, head[valueEnd - 1] == HTTPSyntax.sp || head[valueEnd - 1] == HTTPSyntax.htab {
                valueEnd -= 1
            }
            for index in valueStart..<valueEnd where !HTTPSyntax.isFieldValueChar(head[index]) {
                throw HTTPParserError(head[index] == HTTPSyntax.cr ? .bareCR : .invalidHeaderValue)
            }
            entries.append(HTTPHeaders.Entry(
                nameStart: lineStart - start, nameEnd: colon - start, valueStart: valueStart - start, valueEnd: valueEnd - start))
            lineStart = lineEnd + 2
        }
        if entries.isEmpty { return HTTPHeaders() }
        return HTTPHeaders(storage: Array(UnsafeRawBufferPointer(rebasing: head[start..<lineStart])), entries: entries)
    }

    private static func parseVersion(_ head: UnsafeRawBufferPointer, from start: Int, to end: Int) throws(HTTPParserError) -> HTTPVersion {
        guard end - start == 8,
            head[start] == UInt8(ascii: "H"), head[start + 1] == UInt8(ascii: "T"),
            head[start + 2] == UInt8(ascii: "T"), head[start + 3] == UInt8(ascii: "P"),
            head[start + 4] == UInt8(ascii: "/"), HTTPSyntax.isDigit(head[start + 5]),
            head[start + 6] == UInt8(ascii: "."), HTTPSyntax.isDigit(head[start + 7])
        else {
            for index in start..<end where head[index] == HTTPSyntax.cr { throw HTTPParserError(.bareCR) }
            throw HTTPParserError(.invalidVersion)
        }
        let version = HTTPVersion(major: Int(head[start + 5] - 0x30), minor: Int(head[start + 7] - 0x30))
        guard version == .http1_1 || version == .http1_0 else { throw HTTPParserError(.unsupportedVersion) }
        return version
    }

    /// Origin-form for every method; asterisk-form only for OPTIONS; authority-form only for
    /// CONNECT; absolute-form (`scheme://…`) for any method (RFC 9112 §3.2).
    private static func validateTargetForm(_ target: String, method: HTTPMethod) throws(HTTPParserError) {
        let utf8 = target.utf8
        if utf8.first == UInt8(ascii: "/") { return }
        if target == "*" {
            guard method == .options else { throw HTTPParserError(.invalidTarget) }
            return
        }
        if method == .connect {
            guard !utf8.contains(UInt8(ascii: "/")), !utf8.contains(UInt8(ascii: "?")) else {
                throw HTTPParserError(.invalidTarget)
            }
            return
        }
        guard let separator = target.firstRange(of: "://"), separator.lowerBound > target.startIndex else {
            throw HTTPParserError(.invalidTarget)
        }
        let scheme = target[..<separator.lowerBound].utf8
        guard let first = scheme.first, (first | 0x20) >= UInt8(ascii: "a"), (first | 0x20) <= UInt8(ascii: "z") else {
            throw HTTPParserError(.invalidTarget)
        }
        for byte in scheme {
            let isAlpha = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            guard isAlpha || HTTPSyntax.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") else {
                throw HTTPParserError(.invalidTarget)
            }
        }
    }

    /// Index of the CR of the CRLF that ends the line starting at `start`; the scanner has
    /// already guaranteed every LF in the head is preceded by CR.
    @inline(__always)
    private static func endOfLine(_ head: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while head[index] != HTTPSyntax.lf { index += 1 }
        return index - 1
    }

    @inline(__always)
    private static func indexOf(_ byte: UInt8, in head: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        var index = start
        while index < end {
            if head[index] == byte { return index }
            index += 1
        }
        return nil
    }

    @inline(__always)
    private static func string(_ head: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: head[start..<end]), as: UTF8.self)
    }
}
