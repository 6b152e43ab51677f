import FuzzSupport
import RingwayHTTP

/// The fuzz rule: any input either parses or throws a remote error, and the outcome is the
/// same whether the input is fed whole, byte by byte, or in uneven pieces. A crash or a
/// disagreement aborts.
///
/// The first input byte selects the request parser (even) or the response parser (odd), so one
/// target covers both.
func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = input.first else { return 0 }
    let body = Array(input.dropFirst())
    let limits = HTTPParserLimits(maxRequestLineLength: 256, maxHeaderBlockSize: 512, maxHeaderCount: 8, maxBodySize: 1024)
    if selector & 1 == 0 {
        let whole = requestOutcome(body, pieces: [body.count], limits: limits)
        check(whole == requestOutcome(body, pieces: Array(repeating: 1, count: body.count), limits: limits), "request: whole vs byte by byte")
        check(whole == requestOutcome(body, pieces: unevenPieces(body.count, seed: selector), limits: limits), "request: whole vs pieces")
    } else {
        let whole = responseOutcome(body, pieces: [body.count], limits: limits)
        check(whole == responseOutcome(body, pieces: Array(repeating: 1, count: body.count), limits: limits), "response: whole vs byte by byte")
        check(whole == responseOutcome(body, pieces: unevenPieces(body.count, seed: selector), limits: limits), "response: whole vs pieces")
    }
    return 0
}


/// Events with bodies merged into one string, so that differently split runs compare equal.
private func requestOutcome(_ input: [UInt8], pieces: [Int], limits: HTTPParserLimits) -> [String] {
    var parser = HTTPRequestParser(limits: limits)
    var outcome: [String] = []
    var body: [UInt8] = []
    var offset = 0
    var stopped = false
    func drain() {
        while !stopped {
            do {
                let event = try parser.next()
                switch event {
                case .body(let bytes):
                    body += bytes
                    continue
                case .needMoreData:
                    return
                default:
                    break
                }
                if !body.isEmpty {
                    outcome.append("body \(body)")
                    body = []
                }
                switch event {
                case .upgradePending, .closed: stopped = true
                case .head(let head):
                    // Exercise the derived values too.
                    _ = head.keepAlive
                    _ = head.path
                    _ = try? head.queryParameters()
                    if head.headers.contains(name: "X-Small") { parser.setBodyLimit(3) }
                default: break
                }
                outcome.append("\(event)")
            } catch {
                outcome.append("error \(error.kind) \(error.status.code)")
                stopped = true
            }
        }
    }
    for piece in pieces where !stopped {
        parser.feed(input[offset..<(offset + piece)])
        offset += piece
        drain()
    }
    if !stopped {
        parser.feedEOF()
        drain()
    }
    if !body.isEmpty { outcome.append("body \(body)") }
    return outcome
}

private func responseOutcome(_ input: [UInt8], pieces: [Int], limits: HTTPParserLimits) -> [String] {
    var parser = HTTPResponseParser(limits: limits)
    parser.requestSent(method: .get)
    parser.requestSent(method: .head)
    var outcome: [String] = []
    var body: [UInt8] = []
    var offset = 0
    var stopped = false
    func drain() {
        while !stopped {
            do {
                let event = try parser.next()
                switch event {
                case .body(let bytes):
                    body += bytes
                    continue
                case .needMoreData:
                    return
                default:
                    break
                }
                if !body.isEmpty {
                    outcome.append("body \(body)")
                    body = []
                }
                switch event {
                case .switchingProtocols, .closed: stopped = true
                default: break
                }
                outcome.append("\(event)")
            } catch {
                outcome.append("error \(error.kind)")
                stopped = true
            }
        }
    }
    for piece in pieces where !stopped {
        parser.feed(input[offset..<(offset + piece)])
        offset += piece
        drain()
    }
    if !stopped {
        parser.feedEOF()
        drain()
    }
    if !body.isEmpty { outcome.append("body \(body)") }
    return outcome
}
