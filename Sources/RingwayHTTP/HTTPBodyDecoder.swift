/// Decodes a message body from the input buffer: fixed length, chunked (RFC 9112 §7.1) or
/// until close. Data is handed out as slices of the input buffer, never copied.
struct HTTPBodyDecoder: Sendable {
    enum Step {
        case data(ArraySlice<UInt8>)
        case trailers(HTTPHeaders)
        case end
        case needMoreData
    }

    private enum State: Sendable {
        case contentLength(remaining: Int)
        case chunkSizeLine(scanned: Int)
        case chunkData(remaining: Int)
        case chunkDataCRLF
        case trailers(HTTPHeadScanner)
        case untilClose
        case done
    }

    private var state: State
    /// Body bytes delivered so far, checked against the body limit.
    private(set) var received = 0

    init(framing: HTTPBodyFraming) {
        switch framing {
        case .none, .switchingProtocols: state = .done
        case .contentLength(let length): state = .contentLength(remaining: length)
        case .chunked: state = .chunkSizeLine(scanned: 0)
        case .untilClose: state = .untilClose
        }
    }

    mutating func step(
        _ buffer: inout HTTPInputBuffer, limits: HTTPParserLimits, bodyLimit: Int, eof: Bool
    ) throws(HTTPParserError) -> Step {
        while true {
            switch state {
            case .done:
                return .end

            case .contentLength(let remaining):
                if remaining == 0 {
                    state = .done
                    return .end
                }
                if received + remaining > bodyLimit { throw HTTPParserError(.bodyTooLarge) }
                let count = min(remaining, buffer.readableCount)
                if count == 0 { return try starved(eof) }
                state = .contentLength(remaining: remaining - count)
                received += count
                return .data(buffer.take(count))

            case .chunkData(let remaining):
                if remaining == 0 {
                    state = .chunkDataCRLF
                    continue
                }
                let count = min(remaining, buffer.readableCount)
                if count == 0 { return try starved(eof) }
                state = .chunkData(remaining: remaining - count)
                received += count
                return .data(buffer.take(count))

            case .chunkDataCRLF:
                guard buffer.readableCount >= 2 else {
                    if buffer.readableCount == 1, buffer.byte(at: 0) != HTTPSyntax.cr { throw chunkDelimiterError(buffer.byte(at: 0)) }
                    return try starved(eof)
                }
                guard buffer.byte(at: 0) == HTTPSyntax.cr else { throw chunkDelimiterError(buffer.byte(at: 0)) }
                guard buffer.byte(at: 1) == HTTPSyntax.lf else { throw HTTPParserError(.bareCR) }
                buffer.consume(2)
                state = .chunkSizeLine(scanned: 0)

            case .chunkSizeLine(let scanned):
                let found = buffer.withReadableBytes { bytes in
                    HTTPHeadScanner.indexOfLF(bytes, from: scanned).map { ($0, bytes[..<$0].last) }
                }
                guard let (lf, beforeLF) = found else {
                    let scannedNow = buffer.readableCount
                    if scannedNow > limits.maxChunkLineLength + 1 { throw HTTPParserError(.invalidChunk) }
                    state = .chunkSizeLine(scanned: scannedNow)
                    return try starved(eof)
                }
                // Same order as when the line arrives byte by byte: length first.
                if lf > limits.maxChunkLineLength + 1 { throw HTTPParserError(.invalidChunk) }
                guard beforeLF == HTTPSyntax.cr else { throw HTTPParserError(.bareLF) }
                if lf - 1 > limits.maxChunkLineLength { throw HTTPParserError(.invalidChunk) }
                let size = try buffer.withReadableBytes { (bytes) throws(HTTPParserError) in
                    try Self.parseChunkSize(UnsafeRawBufferPointer(rebasing: bytes[..<(lf - 1)]))
                }
                buffer.consume(lf + 1)
                if size == 0 {
                    state = .trailers(HTTPHeadScanner(hasStartLine: false))
                } else {
                    if size > bodyLimit - received { throw HTTPParserError(.bodyTooLarge) }
                    state = .chunkData(remaining: size)
                }

            case .trailers(var scanner):
                let scannerLimits = HTTPHeadScanner.Limits(
                    startLine: nil, block: limits.maxTrailerSize, blockError: .trailersTooLarge, fields: limits.maxHeaderCount)
                let end = try buffer.withReadableBytes { (bytes) throws(HTTPParserError) in
                    try scanner.scan(bytes, limits: scannerLimits)
                }
                guard let end else {
                    state = .trailers(scanner)
                    return try starved(eof)
                }
                let trailers = try buffer.withReadableBytes { (bytes) throws(HTTPParserError) in
                    try HTTPHeadParser.parseFieldLines(UnsafeRawBufferPointer(rebasing: bytes[..<end]), from: 0, expectedCount: scanner.fieldCount)
                }
                buffer.consume(end)
                state = .done
                if !trailers.isEmpty { return .trailers(trailers) }
                return .end

            case .untilClose:
                let count = buffer.readableCount
                if count == 0 {
                    if eof {
                        state = .done
                        return .end
                    }
                    return .needMoreData
                }
                // Hand out what still fits and fail on the next step, so the events are the
                // same however the input was split.
                let allowed = min(count, bodyLimit - received)
                if allowed <= 0 { throw HTTPParserError(.bodyTooLarge) }
                received += allowed
                return .data(buffer.take(allowed))
            }
        }
    }

    private func starved(_ eof: Bool) throws(HTTPParserError) -> Step {
        if eof { throw HTTPParserError(.unexpectedEndOfInput) }
        return .needMoreData
    }

    private func chunkDelimiterError(_ byte: UInt8) -> HTTPParserError {
        HTTPParserError(byte == HTTPSyntax.lf ? .bareLF : .invalidChunk)
    }

    /// `chunk-size [chunk-ext]`: hex digits, then optionally whitespace and `;`-prefixed
    /// extensions, which are tolerated and ignored but must not contain control characters.
    private static func parseChunkSize(_ line: UnsafeRawBufferPointer) throws(HTTPParserError) -> Int {
        var size = 0
        var index = 0
        while index < line.count, let digit = HTTPSyntax.hexValue(line[index]) {
            guard size <= (Int.max >> 5) else { throw HTTPParserError(.invalidChunk) }
            size = size << 4 | Int(digit)
            index += 1
        }
        guard index > 0 else { throw HTTPParserError(index < line.count && line[index] == HTTPSyntax.cr ? .bareCR : .invalidChunk) }
        while index < line.count, line[index] == HTTPSyntax.sp || line[index] == HTTPSyntax.htab { index += 1 }
        if index < line.count {
            guard line[index] == UInt8(ascii: ";") else {
                throw HTTPParserError(line[index] == HTTPSyntax.cr ? .bareCR : .invalidChunk)
            }
            for byte in UnsafeRawBufferPointer(rebasing: line[index...]) where !HTTPSyntax.isFieldValueChar(byte) {
                throw HTTPParserError(byte == HTTPSyntax.cr ? .bareCR : .invalidChunk)
            }
        }
        return size
    }
}
