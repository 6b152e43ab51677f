import RingwayEnvelope
import RingwayHTTP
import RingwayJSON

/// A complete response a route returns; the connection adds `Content-Length`, `Date`,
/// `Connection` and `X-Request-Id`.
public struct HTTPResponse: Sendable {
    /// The status line.
    public var status: HTTPStatus
    /// Header fields besides the ones the connection adds.
    public var headers: HTTPHeaders
    /// The body (sent with `Content-Length`; omitted for `HEAD`).
    public var body: [UInt8]

    /// Creates a response.
    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON response from already encoded bytes.
    public static func json(_ body: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: body)
    }

    /// A JSON response from a value.
    public static func json(_ value: JSONValue, status: HTTPStatus = .ok) -> HTTPResponse {
        json(JSONWriter.encode(value), status: status)
    }

    /// The contract's error body `{"error":{"code":…,"message":…}}` with any code, for the
    /// HTTP-level codes the contract does not list (`NOT_FOUND`, `METHOD_NOT_ALLOWED`).
    public static func error(status: HTTPStatus, code: String, message: String) -> HTTPResponse {
        var body: [UInt8] = []
        body.append(contentsOf: #"{"error":{"code":"#.utf8)
        JSONWriter.writeString(code, into: &body)
        body.append(contentsOf: #","message":"#.utf8)
        JSONWriter.writeString(message, into: &body)
        body.append(contentsOf: "}}".utf8)
        return json(body, status: status)
    }

    /// The contract's error body for a contract code, with the status the contract gives it.
    public static func error(_ code: WireErrorCode, message: String) -> HTTPResponse {
        json(HTTPErrorBody(code: code, message: message).encode(), status: HTTPStatus(code: code.httpStatus))
    }
}

/// Thrown by a route handler to answer with `response` (for example a 401 with the contract's
/// error body). Any other error thrown by a handler is answered with 500 `INTERNAL`.
public struct HTTPResponseError: Error, Sendable {
    /// The response to send.
    public var response: HTTPResponse

    /// Creates the error.
    public init(_ response: HTTPResponse) {
        self.response = response
    }
}
