import RingwayCrypto
import RingwayJSON

/// The error codes of the contract, with the HTTP status each is answered with and, for the
/// WebSocket session, whether it ends the session.
public enum WireErrorCode: String, Sendable, Hashable, CaseIterable {
    /// The input is not valid I-JSON or not a well-formed envelope (400).
    case malformed = "MALFORMED"
    /// The envelope `type` is not one of the contract's (400).
    case unsupportedType = "UNSUPPORTED_TYPE"
    /// The envelope signature is missing, undecodable or wrong (400).
    case invalidSignature = "INVALID_SIGNATURE"
    /// Authentication failed: bad, reused or expired nonce, bad signature, bad token (401).
    case authFailed = "AUTH_FAILED"
    /// The token is valid except that `exp` has passed (401).
    case tokenExpired = "TOKEN_EXPIRED"
    /// The entity is not allowed to do this (403).
    case forbidden = "FORBIDDEN"
    /// The recipient is neither configured nor pinned (404).
    case unknownRecipient = "UNKNOWN_RECIPIENT"
    /// The timestamp is outside the window or the message id was already seen (409).
    case replay = "REPLAY"
    /// The public key differs from the one pinned for the entity (409).
    case keyMismatch = "KEY_MISMATCH"
    /// The input exceeds a size limit (413).
    case tooLarge = "TOO_LARGE"
    /// The sender exceeded its rate (429, with `Retry-After`).
    case rateLimited = "RATE_LIMITED"
    /// The recipient's queue is full (503).
    case queueFull = "QUEUE_FULL"
    /// The server failed (500).
    case internalError = "INTERNAL"
    /// HELLO offered no protocol version the server speaks. It is only ever sent as a WebSocket
    /// ERROR (followed by close 1008); ``httpStatus`` gives 400 for completeness.
    case protocolVersion = "PROTOCOL_VERSION"

    /// The HTTP status the contract answers this code with.
    public var httpStatus: Int {
        switch self {
        case .malformed, .unsupportedType, .invalidSignature, .protocolVersion: return 400
        case .authFailed, .tokenExpired: return 401
        case .forbidden: return 403
        case .unknownRecipient: return 404
        case .replay, .keyMismatch: return 409
        case .tooLarge: return 413
        case .rateLimited: return 429
        case .internalError: return 500
        case .queueFull: return 503
        }
    }

    /// The standard reason phrase of ``httpStatus``.
    public var httpReasonPhrase: String {
        switch httpStatus {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 409: return "Conflict"
        case 413: return "Content Too Large"
        case 429: return "Too Many Requests"
        case 503: return "Service Unavailable"
        default: return "Internal Server Error"
        }
    }

    /// The WebSocket close code that follows this ERROR once the session is READY, or nil when
    /// the session stays open (contract, Session step 8). Before READY every ERROR closes with 1008.
    /// `TOO_LARGE` is never sent as an ERROR on WebSocket: the connection is closed with 1009.
    public var closeCodeAfterReady: UInt16? {
        switch self {
        case .malformed, .unsupportedType, .invalidSignature, .forbidden, .unknownRecipient,
             .rateLimited, .replay, .queueFull:
            return nil
        case .tokenExpired, .protocolVersion, .authFailed, .keyMismatch:
            return 1008
        case .tooLarge:
            return 1009
        case .internalError:
            return 1011
        }
    }

    /// The code spelled exactly `name` (byte for byte; Swift's `==` on strings would also accept
    /// canonically equivalent spellings such as a Kelvin sign for `K`).
    public init?(name: String) {
        guard let code = WireErrorCode.allCases.first(where: { $0.rawValue.utf8.elementsEqual(name.utf8) }) else {
            return nil
        }
        self = code
    }

    /// The code for a refused token: `TOKEN_EXPIRED` when only `exp` failed, else `AUTH_FAILED`.
    public init(_ error: JWTError) {
        self = error == .expired ? .tokenExpired : .authFailed
    }
}
