import Foundation
import RingwayCrypto
@testable import RingwayServer
import Testing

/// First-use pins on disk: snapshot plus journal.
struct PinStoreTests {
    func paths() throws -> (directory: String, snapshot: String, journal: String) {
        let directory = try temporaryDirectory()
        return (directory, directory + "/pinned_keys.json", directory + "/pinned_keys.journal")
    }

    func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    @Test func pinsAreAppendedThenFoldedIntoTheSnapshotWhenTheStoreOpens() throws {
        let (_, snapshot, journal) = try paths()
        let (a, b) = (Ed25519PrivateKey().publicKey, Ed25519PrivateKey().publicKey)
        let store = PinStore(snapshotPath: snapshot)
        #expect(try store.open(maxBytes: 1 << 20).isEmpty)
        try store.append("a", key: a) { ["a": a] }
        try store.append("b", key: b) { ["a": a, "b": b] }
        // One line per pin; the snapshot is not rewritten for each.
        #expect(try text(journal) == "{\"a\":\"\(a.base64URL)\"}\n{\"b\":\"\(b.base64URL)\"}\n")
        #expect(!FileManager.default.fileExists(atPath: snapshot))

        let reopened = PinStore(snapshotPath: snapshot)
        #expect(try reopened.open(maxBytes: 1 << 20) == ["a": a, "b": b])
        #expect(try text(snapshot) == "{\"a\":\"\(a.base64URL)\",\"b\":\"\(b.base64URL)\"}\n")
        #expect(try text(journal).isEmpty)
    }

    @Test func aTornLastLineIsIgnoredAndABadLineElsewhereStopsTheStart() throws {
        let (_, snapshot, journal) = try paths()
        let a = Ed25519PrivateKey().publicKey
        try "{\"a\":\"\(a.base64URL)\"}\n{\"b\":\"AAAA".write(toFile: journal, atomically: true, encoding: .utf8)
        #expect(try PinStore(snapshotPath: snapshot).open(maxBytes: 1 << 20) == ["a": a])

        try "{\"a\":\"\(a.base64URL)\"}\nnot json\n{\"c\":\"\(a.base64URL)\"}\n".write(toFile: journal, atomically: true, encoding: .utf8)
        let error = #expect(throws: StartupError.self) { try PinStore(snapshotPath: snapshot).open(maxBytes: 1 << 20) }
        #expect(error?.description.contains("pinned_keys.journal line 2") == true)
    }

    @Test func theJournalIsFoldedOnceItIsAsLongAsTheSnapshot() throws {
        let (_, snapshot, journal) = try paths()
        let store = PinStore(snapshotPath: snapshot)
        _ = try store.open(maxBytes: 1 << 24)
        let key = Ed25519PrivateKey().publicKey
        var pins: [String: Ed25519PublicKey] = [:]
        for index in 0..<PinStore.minimumCompaction {
            pins["e\(index)"] = key
            try store.append("e\(index)", key: key) { pins }
        }
        #expect(try text(journal).isEmpty)
        #expect(try KeyFile.decode(Array(try text(snapshot).utf8), maxBytes: 1 << 24) == pins)
    }
}
