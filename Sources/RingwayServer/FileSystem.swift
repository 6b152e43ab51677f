#if canImport(Glibc)
import Glibc
#endif

/// A failed file operation: what was done to which path, and the system's reason.
public struct FileSystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `opening /path`, `creating directory /path`, ...
    public let operation: String
    /// `strerror` text, or another explanation.
    public let reason: String

    public var description: String { "\(operation): \(reason)" }
}

/// The few file operations the daemon needs, on plain POSIX calls (no Foundation).
enum FileSystem {
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Reads a whole file of at most `maxBytes` bytes.
    static func readFile(_ path: String, maxBytes: Int) throws(FileSystemError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("opening \(path)") }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("reading \(path)")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
            if bytes.count > maxBytes {
                throw FileSystemError(operation: "reading \(path)", reason: "larger than \(maxBytes) bytes")
            }
        }
    }

    /// Creates `path` and its missing parents with `mode` (existing directories are kept as they are).
    static func makeDirectories(_ path: String, mode: mode_t) throws(FileSystemError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += component
            if mkdir(prefix, mode) != 0 && errno != EEXIST {
                throw failure("creating directory \(prefix)")
            }
            prefix += "/"
        }
        var status = stat()
        guard stat(path, &status) == 0 else { throw failure("checking directory \(path)") }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw FileSystemError(operation: "creating directory \(path)", reason: "a file of that name exists")
        }
    }

    /// Writes `bytes` to `path` atomically (temporary file in the same directory, fsync, rename),
    /// with `mode` applied before any byte is written. With `exclusive`, an existing `path` is
    /// left alone and the call fails.
    static func writeFile(_ bytes: [UInt8], to path: String, mode: mode_t, exclusive: Bool = false) throws(FileSystemError) {
        var template = Array((path + ".tmp-XXXXXX").utf8CString)
        // mkstemp creates the file with mode 0600, so a secret is never readable by others.
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw failure("creating a temporary file for \(path)") }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var done = false
        defer { if !done { unlink(temporary) } }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode) == 0 else { throw failure("setting permissions of \(path)") }
            try writeAll(bytes, to: fd, path: path)
            guard fsync(fd) == 0 else { throw failure("syncing \(path)") }
        }
        if exclusive {
            // link() fails with EEXIST instead of replacing: never overwrite a key by accident.
            guard link(temporary, path) == 0 else { throw failure("creating \(path)") }
        } else {
            guard rename(temporary, path) == 0 else { throw failure("renaming the temporary file to \(path)") }
            done = true
        }
    }

    /// The permission bits of `path`.
    static func permissions(of path: String) throws(FileSystemError) -> mode_t {
        var status = stat()
        guard stat(path, &status) == 0 else { throw failure("checking \(path)") }
        return status.st_mode & 0o7777
    }

    /// Appends `bytes` to `path` (created with `mode` if missing) and syncs it to disk.
    static func appendAndSync(_ bytes: [UInt8], to path: String, mode: mode_t) throws(FileSystemError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("opening \(path)") }
        defer { close(fd) }
        try writeAll(bytes, to: fd, path: path)
        guard fsync(fd) == 0 else { throw failure("syncing \(path)") }
    }

    /// Empties `path` and syncs it; a missing file is left missing.
    static func truncate(_ path: String) throws(FileSystemError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0, errno == ENOENT { return }
        guard fd >= 0 else { throw failure("opening \(path)") }
        defer { close(fd) }
        guard ftruncate(fd, 0) == 0 else { throw failure("truncating \(path)") }
        guard fsync(fd) == 0 else { throw failure("syncing \(path)") }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(FileSystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure("writing \(path)")
            }
            offset += written
        }
    }

    private static func failure(_ operation: String) -> FileSystemError {
        FileSystemError(operation: operation, reason: String(cString: strerror(errno)))
    }
}

/// Online processors, as `sysconf` reports them.
func onlineProcessorCount() -> Int {
    Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
