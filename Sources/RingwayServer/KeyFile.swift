import RingwayCrypto
import RingwayEnvelope
import RingwayJSON

/// The format of the keys file and of the pinned-keys file: one JSON object mapping entity ids
/// to raw Ed25519 public keys in base64url, e.g. `{"sensor-7":"11qYAYKx…"}`.
public enum KeyFile {
    /// Why a keys file was refused.
    public struct DecodeError: Error, Sendable, Hashable, CustomStringConvertible {
        /// What is wrong, naming the entry.
        public let reason: String
        public var description: String { reason }
    }

    /// Reads the entries of a keys file.
    public static func decode(_ bytes: [UInt8], maxBytes: Int) throws(DecodeError) -> [String: Ed25519PublicKey] {
        let limits = JSONLimits(maxDocumentBytes: maxBytes, maxNestingDepth: 1, maxStringBytes: 256,
                                maxNumberLength: 32, maxObjectMembers: maxBytes, maxArrayElements: 0)
        let document: JSONValue
        do {
            document = try JSONReader.parse(bytes, limits: limits)
        } catch {
            throw DecodeError(reason: "not valid JSON: \(error)")
        }
        guard let object = document.objectValue else {
            throw DecodeError(reason: "must be one JSON object mapping entity ids to public keys")
        }
        var keys: [String: Ed25519PublicKey] = [:]
        keys.reserveCapacity(object.count)
        for member in object.members {
            guard EntityID(member.name) != nil else {
                throw DecodeError(reason: "\"\(member.name)\" is not an entity id (1 to 64 characters from A-Z a-z 0-9 . _ -)")
            }
            guard let text = member.value.stringValue, let key = try? Ed25519PublicKey(base64URL: text) else {
                throw DecodeError(reason: "the key of \"\(member.name)\" is not a 32-byte base64url Ed25519 public key")
            }
            keys[member.name] = key
        }
        return keys
    }

    /// The file contents for `keys`: one line, entities in byte order, keys unpadded base64url.
    public static func encode(_ keys: [String: Ed25519PublicKey]) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "{")]
        for (index, entity) in keys.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(entity, into: &output)
            output.append(UInt8(ascii: ":"))
            JSONWriter.writeString(keys[entity]!.base64URL, into: &output)
        }
        output.append(contentsOf: "}\n".utf8)
        return output
    }
}
