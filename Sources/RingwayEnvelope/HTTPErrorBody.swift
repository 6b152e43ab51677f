import RingwayJSON

/// The body of every HTTP error response: `{"error":{"code":"CODE","message":"human text"}}`.
public struct HTTPErrorBody: Sendable, Hashable {
    /// The contract error code.
    public var code: WireErrorCode
    /// Human-readable text; never include secrets such as tokens.
    public var message: String

    /// Creates a body.
    public init(code: WireErrorCode, message: String) {
        self.code = code
        self.message = message
    }

    /// Appends the JSON text to `output`.
    public func write(into output: inout [UInt8]) {
        output.append(contentsOf: #"{"error":{"code":"#.utf8)
        JSONWriter.writeString(code.rawValue, into: &output)
        output.append(contentsOf: #","message":"#.utf8)
        JSONWriter.writeString(message, into: &output)
        output.append(contentsOf: "}}".utf8)
    }

    /// The JSON text.
    public func encode() -> [UInt8] {
        var output: [UInt8] = []
        write(into: &output)
        return output
    }

    /// Reads a body as a client receives it; nil when it is not one (or names an unknown code).
    public init?(decoding bytes: UnsafeRawBufferPointer) {
        guard let document = try? JSONReader.parse(bytes, limits: JSONLimits(maxDocumentBytes: 65_536)),
              let error = document.objectValue?["error"]?.objectValue,
              let codeText = error["code"]?.stringValue,
              let code = WireErrorCode(name: codeText),
              let message = error["message"]?.stringValue else { return nil }
        self.init(code: code, message: message)
    }
}
