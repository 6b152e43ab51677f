/// Upper bounds the reader enforces on a document it did not produce.
///
/// Every quantity a peer controls has a named bound here. Exceeding one is reported as
/// ``JSONError/Kind/limitExceeded(_:)`` carrying the ``JSONLimit`` that was hit.
public struct JSONLimits: Sendable, Hashable {
    /// Largest accepted document, in bytes.
    public var maxDocumentBytes: Int
    /// Deepest accepted nesting of arrays and objects; the top-level container is depth 1.
    public var maxNestingDepth: Int
    /// Longest accepted string (member names included), counted in encoded bytes between the quotes.
    public var maxStringBytes: Int
    /// Longest accepted number literal, in bytes.
    public var maxNumberLength: Int
    /// Most members accepted in one object.
    public var maxObjectMembers: Int
    /// Most elements accepted in one array.
    public var maxArrayElements: Int

    /// Creates limits; the defaults suit signed envelopes of up to 1 MiB.
    public init(
        maxDocumentBytes: Int = 1_048_576,
        maxNestingDepth: Int = 64,
        maxStringBytes: Int = 262_144,
        maxNumberLength: Int = 128,
        maxObjectMembers: Int = 1_024,
        maxArrayElements: Int = 65_536
    ) {
        precondition(maxDocumentBytes >= 0 && maxNestingDepth >= 0 && maxStringBytes >= 0
            && maxNumberLength >= 1 && maxObjectMembers >= 0 && maxArrayElements >= 0,
            "JSON limits must not be negative")
        self.maxDocumentBytes = maxDocumentBytes
        self.maxNestingDepth = maxNestingDepth
        self.maxStringBytes = maxStringBytes
        self.maxNumberLength = maxNumberLength
        self.maxObjectMembers = maxObjectMembers
        self.maxArrayElements = maxArrayElements
    }

    /// The default limits.
    public static let `default` = JSONLimits()
}

/// Names one of the bounds in ``JSONLimits``.
public enum JSONLimit: String, Sendable, Hashable, CaseIterable {
    /// ``JSONLimits/maxDocumentBytes``.
    case documentBytes
    /// ``JSONLimits/maxNestingDepth``.
    case nestingDepth
    /// ``JSONLimits/maxStringBytes``.
    case stringBytes
    /// ``JSONLimits/maxNumberLength``.
    case numberLength
    /// ``JSONLimits/maxObjectMembers``.
    case objectMembers
    /// ``JSONLimits/maxArrayElements``.
    case arrayElements
}
