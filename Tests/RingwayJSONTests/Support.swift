import RingwayJSON
import Testing

/// Parses with both the tree reader and the scanner, checks they agree, and returns the outcome.
func read(_ bytes: [UInt8], limits: JSONLimits = .default) -> Result<JSONValue, JSONError> {
    let tree = Result { () throws(JSONError) in try JSONReader.parse(bytes, limits: limits) }
    let scan = bytes.withUnsafeBytes { buffer in
        Result { () throws(JSONError) in try JSONScanner.validate(buffer, limits: limits) }
    }
    switch (tree, scan) {
    case (.success, .success):
        break
    case (.failure(let treeError), .failure(let scanError)):
        #expect(treeError == scanError, "reader and scanner disagree on \(bytes)")
    default:
        Issue.record("reader and scanner disagree on accepting \(String(decoding: bytes, as: UTF8.self))")
    }
    return tree
}

func read(_ text: String, limits: JSONLimits = .default) -> Result<JSONValue, JSONError> {
    read(Array(text.utf8), limits: limits)
}

func errorKind(_ bytes: [UInt8], limits: JSONLimits = .default) -> JSONError.Kind? {
    if case .failure(let error) = read(bytes, limits: limits) { return error.kind }
    return nil
}

func errorKind(_ text: String, limits: JSONLimits = .default) -> JSONError.Kind? {
    errorKind(Array(text.utf8), limits: limits)
}

func value(_ text: String) throws -> JSONValue {
    try read(text).get()
}

func canonical(_ text: String) throws -> String {
    String(decoding: JSONCanonicalizer.canonicalize(try value(text)), as: UTF8.self)
}
