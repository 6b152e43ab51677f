/// Limits on everything a peer controls in an HTTP/1.1 message. Exceeding one is a remote
/// error carrying the status to answer with.
public struct HTTPParserLimits: Sendable, Hashable {
    /// Longest request line (or status line) in bytes, without its CRLF. Over it: 414.
    public var maxRequestLineLength: Int
    /// Largest header block (all field lines and the final CRLF) in bytes. Over it: 431.
    public var maxHeaderBlockSize: Int
    /// Most header fields in one message (also applies to trailers). Over it: 431.
    public var maxHeaderCount: Int
    /// Default largest body in bytes; the caller may change it per message with
    /// `setBodyLimit(_:)` after the head. Over it: 413.
    public var maxBodySize: Int
    /// Longest chunk-size line of a chunked body (size and extensions) in bytes. Over it: 400.
    public var maxChunkLineLength: Int
    /// Largest trailer section in bytes. Over it: 431.
    public var maxTrailerSize: Int
    /// Most empty lines skipped before a request line (RFC 9112 §2.2 robustness). Over it: 400.
    public var maxLeadingEmptyLines: Int

    public init(
        maxRequestLineLength: Int = 8 * 1024,
        maxHeaderBlockSize: Int = 16 * 1024,
        maxHeaderCount: Int = 100,
        maxBodySize: Int = 1024 * 1024,
        maxChunkLineLength: Int = 1024,
        maxTrailerSize: Int = 4 * 1024,
        maxLeadingEmptyLines: Int = 4
    ) {
        self.maxRequestLineLength = maxRequestLineLength
        self.maxHeaderBlockSize = maxHeaderBlockSize
        self.maxHeaderCount = maxHeaderCount
        self.maxBodySize = maxBodySize
        self.maxChunkLineLength = maxChunkLineLength
        self.maxTrailerSize = maxTrailerSize
        self.maxLeadingEmptyLines = maxLeadingEmptyLines
    }
}
