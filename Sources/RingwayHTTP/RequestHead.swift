/// The head of an HTTP request: start line and header fields.
public struct RequestHead: Sendable, Hashable {
    /// The request method.
    public var method: HTTPMethod
    /// The request-target exactly as sent (origin-form `/path?query` in the usual case).
    public var target: String
    /// The protocol version.
    public var version: HTTPVersion
    /// The header fields in the order received.
    public var headers: HTTPHeaders

    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = HTTPHeaders()) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
    }

    /// The path part of the target, before any `?`, still percent-encoded. For an
    /// absolute-form target (`http://host/p?q`) it is the path after the authority (`/` if empty).
    public var path: Substring {
        let pathAndQuery = Self.pathAndQuery(of: target)
        if let mark = pathAndQuery.firstIndex(of: "?") { return pathAndQuery[..<mark] }
        return pathAndQuery
    }

    /// The raw query after the first `?`, without it; `nil` when the target has no `?`.
    public var rawQuery: Substring? {
        let pathAndQuery = Self.pathAndQuery(of: target)
        guard let mark = pathAndQuery.firstIndex(of: "?") else { return nil }
        return pathAndQuery[pathAndQuery.index(after: mark)...]
    }

    /// Decodes the query as `application/x-www-form-urlencoded` name/value pairs.
    public func queryParameters(limits: QueryLimits = QueryLimits()) throws(HTTPQueryError) -> QueryParameters {
        try QueryParameters(parsing: rawQuery ?? "", limits: limits)
    }

    /// Whether the connection stays open after this exchange: HTTP/1.1 unless
    /// `Connection: close`; HTTP/1.0 only with `Connection: keep-alive` (RFC 9112 §9.3).
    public var keepAlive: Bool {
        HTTPConnectionSemantics.keepAlive(version: version, headers: headers)
    }

    /// Whether the client waits for `100 Continue` before sending the body
    /// (`Expect: 100-continue` on HTTP/1.1; ignored on HTTP/1.0 per RFC 9110 §10.1.1).
    public var expectsContinue: Bool {
        version == .http1_1 && headers.containsToken("100-continue", inField: "Expect")
    }

    /// Whether the request asks to switch protocols (`Connection: upgrade` and an `Upgrade`
    /// field), or is a `CONNECT`. The request parser pauses after such a request.
    public var isUpgradeRequest: Bool {
        method == .connect
            || (headers.contains(name: "Upgrade") && headers.containsToken("upgrade", inField: "Connection"))
    }

    /// The `Host` field value.
    public var host: String? { headers.first(name: "Host") }

    static func pathAndQuery(of target: String) -> Substring {
        let whole = target[...]
        guard whole.utf8.first != UInt8(ascii: "/"), let scheme = whole.firstRange(of: "://") else { return whole }
        let afterScheme = whole[scheme.upperBound...]
        guard let slash = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        if afterScheme[slash] == "?" { return "/" + afterScheme[slash...] }
        return afterScheme[slash...]
    }
}
