/// An entity id: 1–64 characters from `[A-Za-z0-9._-]`, compared case-sensitively.
public struct EntityID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The longest entity id, in characters.
    public static let maxLength = 64

    /// The id text.
    public let rawValue: String

    /// Validates `text`; nil when it is not a valid entity id (`*` included: it is reserved).
    public init?(_ text: String) {
        var copy = text
        guard copy.withUTF8({ EntityID.isValid(UnsafeRawBufferPointer($0)) }) else { return nil }
        rawValue = text
    }

    /// Validates UTF-8 bytes and copies them into an id.
    public init?(utf8 bytes: UnsafeRawBufferPointer) {
        guard EntityID.isValid(bytes) else { return nil }
        rawValue = String(unsafeUninitializedCapacity: bytes.count) { out in
            _ = out.initialize(from: bytes)
            return bytes.count
        }
    }

    /// True when `bytes` spell a valid entity id.
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty && bytes.count <= maxLength else { return false }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return true
    }

    public var description: String { rawValue }

    public static func < (lhs: EntityID, rhs: EntityID) -> Bool {
        lhs.rawValue.utf8.lexicographicallyPrecedes(rhs.rawValue.utf8)
    }
}

/// The `to_entity` of an envelope when it is not null: one entity, or `*` for broadcast.
public enum Recipient: Sendable, Hashable, CustomStringConvertible {
    /// A single entity.
    case entity(EntityID)
    /// `*`: every subscriber of the events stream.
    case broadcast

    /// The text written in `to_entity`.
    public var rawValue: String {
        switch self {
        case .entity(let id): return id.rawValue
        case .broadcast: return "*"
        }
    }

    /// Parses `to_entity` text: `*` or a valid entity id.
    public init?(_ text: String) {
        if text.utf8.elementsEqual("*".utf8) {
            self = .broadcast
        } else if let id = EntityID(text) {
            self = .entity(id)
        } else {
            return nil
        }
    }

    /// Parses `to_entity` from UTF-8 bytes.
    public init?(utf8 bytes: UnsafeRawBufferPointer) {
        if bytes.count == 1 && bytes[0] == UInt8(ascii: "*") {
            self = .broadcast
        } else if let id = EntityID(utf8: bytes) {
            self = .entity(id)
        } else {
            return nil
        }
    }

    public var description: String { rawValue }
}
