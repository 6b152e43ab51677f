import RingwayHTTP
import Testing

/// A parser outcome with body chunks merged, so runs with different input splits compare equal.
enum RequestOutcome: Equatable {
    case head(RequestHead)
    case body([UInt8])
    case trailers(HTTPHeaders)
    case end
    case upgradePending
    case closed
    case error(HTTPParserError.Kind)
}

enum ResponseOutcome: Equatable {
    case informational(ResponseHead)
    case head(ResponseHead)
    case body([UInt8])
    case trailers(HTTPHeaders)
    case end
    case switchingProtocols
    case closed
    case error(HTTPParserError.Kind)
}

extension Array where Element == RequestOutcome {
    mutating func appendMerging(_ outcome: RequestOutcome) {
        if case .body(let more) = outcome, case .body(let previous)? = last {
            self[count - 1] = .body(previous + more)
        } else {
            append(outcome)
        }
    }
}

extension Array where Element == ResponseOutcome {
    mutating func appendMerging(_ outcome: ResponseOutcome) {
        if case .body(let more) = outcome, case .body(let previous)? = last {
            self[count - 1] = .body(previous + more)
        } else {
            append(outcome)
        }
    }
}

/// Feeds `input` in pieces of `chunk` bytes (whole when `nil`), pulling every event after each
/// feed, then the end of input when `eof`. `onHead` may adjust the parser (body limit).
func runRequestParser(
    _ input: [UInt8], chunk: Int? = nil, eof: Bool = false, limits: HTTPParserLimits = HTTPParserLimits(),
    onHead: (RequestHead, inout HTTPRequestParser) -> Void = { _, _ in }
) -> [RequestOutcome] {
    var parser = HTTPRequestParser(limits: limits)
    var outcomes: [RequestOutcome] = []
    func drain() -> Bool {
        while true {
            do {
                switch try parser.next() {
                case .head(let head):
                    outcomes.appendMerging(.head(head))
                    onHead(head, &parser)
                case .body(let bytes): outcomes.appendMerging(.body(Array(bytes)))
                case .trailers(let trailers): outcomes.appendMerging(.trailers(trailers))
                case .end: outcomes.appendMerging(.end)
                case .needMoreData: return true
                case .upgradePending:
                    outcomes.appendMerging(.upgradePending)
                    return false
                case .closed:
                    outcomes.appendMerging(.closed)
                    return false
                }
            } catch {
                outcomes.appendMerging(.error(error.kind))
                return false
            }
        }
    }
    let step = chunk ?? Swift.max(input.count, 1)
    var offset = 0
    repeat {
        let end = Swift.min(offset + step, input.count)
        parser.feed(input[offset..<end])
        offset = end
        if !drain() { return outcomes }
    } while offset < input.count
    if eof {
        parser.feedEOF()
        _ = drain()
    }
    return outcomes
}

/// Runs the request parser whole and byte by byte, expects both to agree, returns the result.
func parseRequests(
    _ text: String, eof: Bool = false, limits: HTTPParserLimits = HTTPParserLimits(),
    onHead: (RequestHead, inout HTTPRequestParser) -> Void = { _, _ in },
    sourceLocation: SourceLocation = #_sourceLocation
) -> [RequestOutcome] {
    parseRequests(Array(text.utf8), eof: eof, limits: limits, onHead: onHead, sourceLocation: sourceLocation)
}

func parseRequests(
    _ input: [UInt8], eof: Bool = false, limits: HTTPParserLimits = HTTPParserLimits(),
    onHead: (RequestHead, inout HTTPRequestParser) -> Void = { _, _ in },
    sourceLocation: SourceLocation = #_sourceLocation
) -> [RequestOutcome] {
    let whole = runRequestParser(input, eof: eof, limits: limits, onHead: onHead)
    let byteByByte = runRequestParser(input, chunk: 1, eof: eof, limits: limits, onHead: onHead)
    let sevens = runRequestParser(input, chunk: 7, eof: eof, limits: limits, onHead: onHead)
    #expect(whole == byteByByte, "whole vs byte by byte", sourceLocation: sourceLocation)
    #expect(whole == sevens, "whole vs 7-byte pieces", sourceLocation: sourceLocation)
    return whole
}

/// The error kind a request stream ends with, or `nil`.
func requestError(_ text: String, eof: Bool = false, limits: HTTPParserLimits = HTTPParserLimits(),
                  sourceLocation: SourceLocation = #_sourceLocation) -> HTTPParserError.Kind? {
    if case .error(let kind)? = parseRequests(text, eof: eof, limits: limits, sourceLocation: sourceLocation).last { return kind }
    return nil
}

func runResponseParser(
    _ input: [UInt8], chunk: Int? = nil, eof: Bool = false, methods: [HTTPMethod] = [], limits: HTTPParserLimits = HTTPParserLimits()
) -> [ResponseOutcome] {
    var parser = HTTPResponseParser(limits: limits)
    for method in methods { parser.requestSent(method: method) }
    var outcomes: [ResponseOutcome] = []
    func drain() -> Bool {
        while true {
            do {
                switch try parser.next() {
                case .informational(let head): outcomes.appendMerging(.informational(head))
                case .head(let head): outcomes.appendMerging(.head(head))
                case .body(let bytes): outcomes.appendMerging(.body(Array(bytes)))
                case .trailers(let trailers): outcomes.appendMerging(.trailers(trailers))
                case .end: outcomes.appendMerging(.end)
                case .needMoreData: return true
                case .switchingProtocols:
                    outcomes.appendMerging(.switchingProtocols)
                    return false
                case .closed:
                    outcomes.appendMerging(.closed)
                    return false
                }
            } catch {
                outcomes.appendMerging(.error(error.kind))
                return false
            }
        }
    }
    let step = chunk ?? Swift.max(input.count, 1)
    var offset = 0
    repeat {
        let end = Swift.min(offset + step, input.count)
        parser.feed(input[offset..<end])
        offset = end
        if !drain() { return outcomes }
    } while offset < input.count
    if eof {
        parser.feedEOF()
        _ = drain()
    }
    return outcomes
}

func parseResponses(_ text: String, eof: Bool = false, methods: [HTTPMethod] = [],
                    sourceLocation: SourceLocation = #_sourceLocation) -> [ResponseOutcome] {
    let input = Array(text.utf8)
    let whole = runResponseParser(input, eof: eof, methods: methods)
    let byteByByte = runResponseParser(input, chunk: 1, eof: eof, methods: methods)
    #expect(whole == byteByByte, "whole vs byte by byte", sourceLocation: sourceLocation)
    return whole
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
