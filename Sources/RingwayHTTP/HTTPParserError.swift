/// A message the peer sent that cannot be accepted. Every such error ends the connection:
/// answer with `status` (on the server side) and close, because the framing of anything that
/// follows can no longer be trusted.
public struct HTTPParserError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public enum Kind: Sendable, Hashable {
        /// The request line (or status line) is longer than the limit. 414.
        case requestLineTooLong
        /// The header block is larger than the limit. 431.
        case headerBlockTooLarge
        /// More header (or trailer) fields than the limit. 431.
        case tooManyHeaders
        /// The trailer section is larger than the limit. 431.
        case trailersTooLarge
        /// The body is larger than the limit. 413.
        case bodyTooLarge
        /// The request line or status line does not follow the grammar. 400.
        case invalidStartLine
        /// The method is not a token. 400.
        case invalidMethod
        /// The request-target has a forbidden byte or form. 400.
        case invalidTarget
        /// The version is not `HTTP/DIGIT.DIGIT`. 400.
        case invalidVersion
        /// A well-formed version other than 1.0 and 1.1. 505.
        case unsupportedVersion
        /// A field name is empty, has a non-token byte, or whitespace before the colon. 400.
        case invalidHeaderName
        /// A field value has a control character. 400.
        case invalidHeaderValue
        /// A field line starts with whitespace (obs-fold, RFC 9112 §5.2). 400.
        case obsoleteLineFolding
        /// A CR not followed by LF. 400.
        case bareCR
        /// An LF not preceded by CR. Refused rather than tolerated (see the parser docs). 400.
        case bareLF
        /// Both `Content-Length` and `Transfer-Encoding`. 400.
        case contentLengthWithTransferEncoding
        /// More than one `Content-Length` field or list element. 400.
        case duplicateContentLength
        /// A `Content-Length` that is not a decimal number within range. 400.
        case invalidContentLength
        /// A `Transfer-Encoding` whose final coding is not `chunked`, or `chunked` twice. 400.
        case transferEncodingNotChunkedLast
        /// A transfer coding other than `chunked` before the final `chunked`. 501.
        case unsupportedTransferEncoding
        /// `Transfer-Encoding` in an HTTP/1.0 message (RFC 9112 §6.1). 400.
        case transferEncodingInHTTP10
        /// An HTTP/1.1 request without `Host`, or with more than one (RFC 9112 §3.2). 400.
        case invalidHost
        /// A chunk-size line that is malformed, too long, or a size that overflows. 400.
        case invalidChunk
        /// A status code outside 100...599. 400 (client side; the status is informative).
        case invalidStatusCode
        /// The input ended inside a message. 400.
        case unexpectedEndOfInput
    }

    /// What was wrong.
    public let kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    /// The status a server answers with before closing.
    public var status: HTTPStatus {
        switch kind {
        case .requestLineTooLong: .uriTooLong
        case .headerBlockTooLarge, .tooManyHeaders, .trailersTooLarge: .requestHeaderFieldsTooLarge
        case .bodyTooLarge: .payloadTooLarge
        case .unsupportedVersion: .httpVersionNotSupported
        case .unsupportedTransferEncoding: .notImplemented
        default: .badRequest
        }
    }

    /// Always `true`: after a framing error the connection must be closed.
    public var mustCloseConnection: Bool { true }

    public var description: String { "HTTPParserError.\(kind) (\(status.code))" }
}
