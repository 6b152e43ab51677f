import RingwayHTTP

/// Finds the access token of a request (contract: WebSocket endpoints): the `Authorization:
/// Bearer` header, or else the `token` query parameter.
public enum BearerToken {
    /// The token, or nil when the request carries none.
    /// - Throws: `AUTH_FAILED` for an `Authorization` header that is repeated or not `Bearer`,
    ///   or header and query naming different tokens; `MALFORMED` for an undecodable query.
    public static func extract(from head: RequestHead) throws(AuthFailure) -> String? {
        var fromHeader: String?
        let values = head.headers.values(name: "Authorization")
        if values.count > 1 { throw .authFailed("more than one Authorization header") }
        if let value = values.first {
            fromHeader = try bearer(value)
        }
        let parameters: QueryParameters
        do {
            parameters = try head.queryParameters()
        } catch {
            throw .malformed("the query string cannot be decoded")
        }
        let fromQuery = parameters.values(for: "token")
        if fromQuery.count > 1 { throw .authFailed("more than one token parameter") }
        if let header = fromHeader, let query = fromQuery.first, !header.utf8.elementsEqual(query.utf8) {
            throw .authFailed("the Authorization header and the token parameter differ")
        }
        return fromHeader ?? fromQuery.first
    }

    /// The token of an `Authorization` value `Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1).
    static func bearer(_ value: String) throws(AuthFailure) -> String {
        let utf8 = Array(value.utf8)
        let scheme = Array("bearer".utf8)
        guard utf8.count > scheme.count, utf8[scheme.count] == UInt8(ascii: " "),
              zip(utf8[..<scheme.count], scheme).allSatisfy({ $0 | 0x20 == $1 }) else {
            throw .authFailed("the Authorization header must use the Bearer scheme")
        }
        var start = scheme.count
        while start < utf8.count, utf8[start] == UInt8(ascii: " ") { start += 1 }
        var end = utf8.count
        while end > start, utf8[end - 1] == UInt8(ascii: " ") { end -= 1 }
        guard start < end else { throw .authFailed("the Authorization header carries no token") }
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }
}
