import RingwayHTTP

/// Answers one request. Runs on the connection's loop.
public typealias HTTPHandler = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse

/// What a route does.
public enum RouteAction: Sendable {
    /// Answers with a response.
    case respond(HTTPHandler)
    /// Switches the connection to another protocol (WebSocket) when the request asks to;
    /// a request without `Upgrade` gets the upgrader's refusal.
    case upgrade(any HTTPUpgrader)
}

/// One entry of the routing table.
public struct Route: Sendable {
    /// The method matched (a `GET` route also answers `HEAD`).
    public var method: HTTPMethod
    /// The exact path matched (percent-encoded form, no query).
    public var path: String
    /// Largest request body; nil uses the server's default limit.
    public var maxBodyBytes: Int?
    /// The handler or upgrader.
    public var action: RouteAction

    /// Creates a route.
    public init(method: HTTPMethod, path: String, maxBodyBytes: Int? = nil, action: RouteAction) {
        self.method = method
        self.path = path
        self.maxBodyBytes = maxBodyBytes
        self.action = action
    }
}

/// The routing table: exact paths, then methods.
public struct Router: Sendable {
    /// How a request matched.
    public enum Resolution: Sendable {
        /// The route to run.
        case route(Route)
        /// The path exists but not with this method; `allowed` goes into `Allow`.
        case methodNotAllowed(allowed: [HTTPMethod])
        /// No route has this path.
        case notFound
    }

    private var routes: [String: [Route]] = [:]

    /// An empty table.
    public init() {}

    /// Adds a route answered by `handler`. A later route for the same method and path replaces
    /// the earlier one.
    public mutating func add(_ method: HTTPMethod, _ path: String, maxBodyBytes: Int? = nil, _ handler: @escaping HTTPHandler) {
        add(Route(method: method, path: path, maxBodyBytes: maxBodyBytes, action: .respond(handler)))
    }

    /// Adds a `GET` route that switches protocols through `upgrader`.
    public mutating func addUpgrade(_ path: String, _ upgrader: any HTTPUpgrader) {
        add(Route(method: .get, path: path, maxBodyBytes: 0, action: .upgrade(upgrader)))
    }

    /// Adds `route`, replacing one with the same method and path.
    public mutating func add(_ route: Route) {
        var entries = routes[route.path, default: []]
        entries.removeAll { $0.method == route.method }
        entries.append(route)
        routes[route.path] = entries
    }

    /// Finds the route for `method` and `path`.
    public func resolve(method: HTTPMethod, path: Substring) -> Resolution {
        guard let entries = routes[String(path)] else { return .notFound }
        if let route = entries.first(where: { $0.method == method }) { return .route(route) }
        if method == .head, let route = entries.first(where: { $0.method == .get }) { return .route(route) }
        var allowed = entries.map(\.method)
        if allowed.contains(.get), !allowed.contains(.head) { allowed.append(.head) }
        return .methodNotAllowed(allowed: allowed)
    }
}
