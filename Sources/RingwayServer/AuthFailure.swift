import RingwayEnvelope

/// A refused authentication step: the contract's error code, a message for the client (never a
/// token or nonce), and for `RATE_LIMITED` the seconds to put in `Retry-After`.
public struct AuthFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The contract code; its HTTP status is ``WireErrorCode/httpStatus``.
    public var code: WireErrorCode
    /// Human-readable reason.
    public var message: String
    /// Seconds the client should wait before retrying; set for `RATE_LIMITED`.
    public var retryAfterSeconds: Int?

    /// Creates a failure.
    public init(_ code: WireErrorCode, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The response to send: the contract's error body with the code's status, plus
    /// `Retry-After` when set.
    public var response: HTTPResponse {
        var response = HTTPResponse.error(code, message: message)
        if let retryAfterSeconds {
            response.headers.add(name: "Retry-After", value: String(retryAfterSeconds))
        }
        return response
    }

    public var description: String { "\(code.rawValue): \(message)" }

    static func malformed(_ message: String) -> AuthFailure { AuthFailure(.malformed, message) }
    static func authFailed(_ message: String) -> AuthFailure { AuthFailure(.authFailed, message) }
}
