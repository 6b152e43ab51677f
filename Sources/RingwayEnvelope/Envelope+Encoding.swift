import RingwayCrypto
import RingwayJSON

extension Envelope {
    /// Appends the compact JSON of the envelope, members in the contract's order
    /// (`message_id, type, from_entity, to_entity, timestamp, payload, signature`).
    public func encode(into output: inout [UInt8]) {
        output.append(contentsOf: #"{"message_id":""#.utf8)
        messageID.write(into: &output)
        output.append(contentsOf: #"","type":""#.utf8)
        output.append(contentsOf: type.rawValue.utf8)
        output.append(contentsOf: #"","from_entity":""#.utf8)
        output.append(contentsOf: fromEntity.rawValue.utf8)
        output.append(contentsOf: #"","to_entity":"#.utf8)
        writeRecipient(into: &output)
        output.append(contentsOf: #","timestamp":"#.utf8)
        ES6NumberFormatter.write(Double(timestamp), into: &output)
        output.append(contentsOf: #","payload":"#.utf8)
        JSONWriter.write(.object(payload), into: &output)
        if let signature {
            output.append(contentsOf: #","signature":"#.utf8)
            JSONWriter.writeString(signature, into: &output)
        }
        output.append(UInt8(ascii: "}"))
    }

    /// The compact JSON of the envelope.
    public func encoded() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        encode(into: &output)
        return output
    }

    /// Appends the bytes that are signed: the RFC 8785 canonical JSON of the envelope without its
    /// `signature` member. Members in UTF-16 order are
    /// `from_entity, message_id, payload, timestamp, to_entity, type`.
    public func writeSigningInput(into output: inout [UInt8]) {
        output.append(contentsOf: #"{"from_entity":""#.utf8)
        output.append(contentsOf: fromEntity.rawValue.utf8)
        output.append(contentsOf: #"","message_id":""#.utf8)
        messageID.write(into: &output)
        output.append(contentsOf: #"","payload":"#.utf8)
        JSONCanonicalizer.writeObject(payload, into: &output)
        output.append(contentsOf: #","timestamp":"#.utf8)
        ES6NumberFormatter.write(Double(timestamp), into: &output)
        output.append(contentsOf: #","to_entity":"#.utf8)
        writeRecipient(into: &output)
        output.append(contentsOf: #","type":""#.utf8)
        output.append(contentsOf: type.rawValue.utf8)
        output.append(contentsOf: #""}"#.utf8)
    }

    /// The bytes that are signed (see ``writeSigningInput(into:)``).
    public var signingInput: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        writeSigningInput(into: &output)
        return output
    }

    /// The envelope as a JSON document (the signature included when present).
    public var jsonObject: JSONObject {
        var object: JSONObject = [
            "message_id": .string(messageID.description),
            "type": .string(type.rawValue),
            "from_entity": .string(fromEntity.rawValue),
            "to_entity": toEntity.map { .string($0.rawValue) } ?? .null,
            "timestamp": .number(Double(timestamp)),
            "payload": .object(payload),
        ]
        if let signature { object["signature"] = .string(signature) }
        return object
    }

    private func writeRecipient(into output: inout [UInt8]) {
        if let toEntity {
            output.append(UInt8(ascii: "\""))
            output.append(contentsOf: toEntity.rawValue.utf8)
            output.append(UInt8(ascii: "\""))
        } else {
            output.append(contentsOf: "null".utf8)
        }
    }
}
