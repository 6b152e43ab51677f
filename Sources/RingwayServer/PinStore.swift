#if canImport(Glibc)
import Glibc
#endif
import RingwayCrypto

/// Keys pinned on first use, on disk: `pinned_keys.json` (a keys file: the snapshot) and
/// `pinned_keys.journal` next to it, one line per pin made since, each line itself a keys-file
/// object `{"entity":"key"}`.
///
/// A pin costs one appended line and an fsync, whatever the number of pins; rewriting the whole
/// snapshot for every pin made first use quadratic (10,000 entities meant 10,000 rewrites of a
/// file that grew to 10,000 entries). The journal is folded into the snapshot when the store is
/// opened and whenever it holds as many lines as the snapshot has pins (at least
/// ``minimumCompaction``), so the work per pin stays constant on average.
///
/// A crash can tear only the journal's last line, which is then ignored when the store is opened
/// (the token for that pin was never issued). Any other bad line stops the start.
final class PinStore: @unchecked Sendable {
    // @unchecked Sendable: its mutable state is used only under AuthService's state lock.

    /// Fewest journal lines that trigger folding the journal into the snapshot.
    static let minimumCompaction = 1_024

    /// The snapshot.
    let snapshotPath: String
    /// The journal.
    let journalPath: String
    private var journalLines = 0
    private var snapshotCount = 0

    /// The store of `snapshotPath`, with no pin read yet.
    init(snapshotPath: String) {
        self.snapshotPath = snapshotPath
        self.journalPath = Self.journalPath(for: snapshotPath)
    }

    /// The journal that goes with `snapshotPath`: the same name with `.journal` for `.json`.
    static func journalPath(for snapshotPath: String) -> String {
        (snapshotPath.hasSuffix(".json") ? String(snapshotPath.dropLast(5)) : snapshotPath) + ".journal"
    }

    /// Reads the snapshot and the journal, then folds the journal into the snapshot.
    /// - Throws: ``StartupError`` naming the file that cannot be read or is invalid.
    func open(maxBytes: Int) throws(StartupError) -> [String: Ed25519PublicKey] {
        var pins: [String: Ed25519PublicKey] = [:]
        if FileSystem.exists(snapshotPath) {
            pins = try Self.decode(try Self.read(snapshotPath, maxBytes: maxBytes), path: snapshotPath, maxBytes: maxBytes)
        }
        if FileSystem.exists(journalPath) {
            let bytes = try Self.read(journalPath, maxBytes: maxBytes)
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
            // A last line without its newline was being written when the daemon stopped.
            if bytes.last != UInt8(ascii: "\n"), !lines.isEmpty { lines.removeLast() }
            for (index, line) in lines.enumerated() {
                let entries = try Self.decode(Array(line), path: "\(journalPath) line \(index + 1)", maxBytes: maxBytes)
                pins.merge(entries) { _, new in new }
            }
            journalLines = lines.count
        }
        snapshotCount = pins.count
        if journalLines > 0 {
            do {
                try compact(pins)
            } catch {
                throw StartupError("cannot fold \(journalPath) into \(snapshotPath): \(error)")
            }
        }
        return pins
    }

    /// Makes the pin of `entity` durable (appended and synced) before its token is issued; when
    /// the journal is due to be folded, writes a new snapshot of `allPins()` (every pin, the new
    /// one included).
    func append(_ entity: String, key: Ed25519PublicKey, allPins: () -> [String: Ed25519PublicKey]) throws(FileSystemError) {
        try FileSystem.appendAndSync(KeyFile.encode([entity: key]), to: journalPath, mode: 0o600)
        journalLines += 1
        if journalLines >= max(Self.minimumCompaction, snapshotCount) {
            // The pin is already durable in the journal: a failed fold is retried later.
            try? compact(allPins())
        }
    }

    private func compact(_ pins: [String: Ed25519PublicKey]) throws(FileSystemError) {
        try FileSystem.writeFile(KeyFile.encode(pins), to: snapshotPath, mode: 0o600)
        try FileSystem.truncate(journalPath)
        snapshotCount = pins.count
        journalLines = 0
    }

    private static func read(_ path: String, maxBytes: Int) throws(StartupError) -> [UInt8] {
        do {
            return try FileSystem.readFile(path, maxBytes: maxBytes)
        } catch {
            throw StartupError("cannot read the pinned keys file: \(error)")
        }
    }

    private static func decode(_ bytes: [UInt8], path: String, maxBytes: Int) throws(StartupError) -> [String: Ed25519PublicKey] {
        do {
            return try KeyFile.decode(bytes, maxBytes: maxBytes)
        } catch {
            throw StartupError("the pinned keys file \(path) is invalid: \(error.reason)")
        }
    }
}
