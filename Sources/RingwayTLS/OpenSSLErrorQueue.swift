import CRingwayOpenSSL

/// Reads OpenSSL's error queue, which is per thread: it must be read on the thread (and before any
/// other OpenSSL call) that made the failing call. Every caller here is synchronous, so no
/// suspension point can move it to another thread in between.
enum OpenSSLErrorQueue {
    static let capacity = 2048

    /// Pops every queued error and returns them as one line.
    static func drain() -> String {
        let text = withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { buffer in
            let base = buffer.baseAddress!
            _ = rw_ossl_error_drain(base, capacity)
            return String(cString: base)
        }
        return text.isEmpty ? "no OpenSSL error reported" : text
    }

    /// Discards stale errors left by unrelated code on this thread.
    static func clear() {
        rw_ossl_error_clear()
    }

    /// A ``TLSError`` from the current queue.
    static func error(_ kind: TLSError.Kind, _ operation: String) -> TLSError {
        TLSError(kind: kind, operation: operation, reason: drain())
    }
}
