import RingwayEnvelope
import RingwayRuntime
import RingwayWebSocket

/// Why a client operation failed.
public enum ClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server URL cannot be used (scheme, host, port).
    case invalidURL(String)
    /// The TCP connection or TLS handshake failed.
    case connectionFailed(String)
    /// The server answered an HTTP request with an error (`code` from the contract's body when it
    /// had one); `retryAfterSeconds` from `Retry-After`.
    case httpError(status: Int, code: WireErrorCode?, message: String, retryAfterSeconds: Int?)
    /// The server answered with an `ERROR` envelope.
    case refused(code: WireErrorCode, message: String)
    /// The connection closed (WebSocket close code, or 1006 when it just ended).
    case closed(code: UInt16, reason: String)
    /// The server broke the protocol (a bad frame, envelope or signature, an unexpected reply).
    case protocolViolation(String)
    /// Nothing arrived in time.
    case timedOut(String)
    /// The bounded outbox is full: the link is down and `outboxLimit` messages already wait.
    case outboxFull(limit: Int)
    /// The client was stopped, or stopped itself after a refusal it must not retry.
    case stopped(String)
    /// The credentials provider failed.
    case credentials(String)

    public var description: String {
        switch self {
        case .invalidURL(let text): "invalid server URL: \(text)"
        case .connectionFailed(let text): "cannot connect: \(text)"
        case .httpError(let status, let code, let message, _):
            "HTTP \(status)" + (code.map { " \($0.rawValue)" } ?? "") + (message.isEmpty ? "" : ": \(message)")
        case .refused(let code, let message): "\(code.rawValue): \(message)"
        case .closed(let code, let reason): "connection closed (\(code)" + (reason.isEmpty ? ")" : " \(reason))")
        case .protocolViolation(let text): "protocol violation: \(text)"
        case .timedOut(let text): "timed out: \(text)"
        case .outboxFull(let limit): "outbox full (\(limit) messages wait for the connection)"
        case .stopped(let text): "stopped: \(text)"
        case .credentials(let text): "credentials: \(text)"
        }
    }

    /// The contract error code behind this failure, if any.
    public var wireCode: WireErrorCode? {
        switch self {
        case .httpError(_, let code, _, _): code
        case .refused(let code, _): code
        default: nil
        }
    }
}
