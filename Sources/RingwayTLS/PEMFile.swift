import Glibc

/// Reading and writing PEM files, with the permissions a private key needs.
public enum PEMFile {
    /// Largest file ``read(_:)`` accepts; a certificate chain is a few KiB.
    public static let maxReadBytes = 1 << 20

    /// Reads a PEM file as text.
    /// - Throws: ``TLSError/Kind/file`` when it cannot be read or exceeds ``maxReadBytes``.
    public static func read(_ path: String) throws(TLSError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("opening", path) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        while true {
            var result = 0
            var readErrno: Int32 = 0
            _ = bytes.appendBytes(upTo: 16 << 10) { region in
                result = Glibc.read(fd, region.baseAddress, region.count)
                readErrno = errno
                return max(result, 0)
            }
            if result == 0 { break }
            if result < 0 {
                if readErrno == EINTR { continue }
                errno = readErrno
                throw failure("reading", path)
            }
            if bytes.count > maxReadBytes {
                throw TLSError(kind: .file, operation: "reading \(path)", reason: "larger than \(maxReadBytes) bytes")
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `text` to `path` atomically (a temporary file in the same directory, then rename)
    /// with the given permissions, which also apply when the file already existed.
    /// Use `0o600` for private keys.
    public static func write(_ text: String, to path: String, permissions: mode_t) throws(TLSError) {
        var template = Array((path + ".tmp-XXXXXX").utf8CString)
        // mkstemp creates the file with mode 0600, so a key is never readable by others.
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw failure("creating a temporary file for", path) }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var written = false
        defer {
            if !written { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            guard fchmod(fd, permissions) == 0 else { throw failure("setting permissions of", path) }
            let bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure("writing", path)
                }
                offset += n
            }
            guard fsync(fd) == 0 else { throw failure("syncing", path) }
        }
        guard rename(temporary, path) == 0 else { throw failure("renaming the temporary file to", path) }
        written = true
    }

    private static func failure(_ action: String, _ path: String) -> TLSError {
        TLSError(kind: .file, operation: "\(action) \(path)", reason: String(cString: strerror(errno)))
    }
}
