import CRingwaySodium

/// libsodium must be initialised once before use; a `static let` initialiser runs exactly once,
/// thread-safely, the first time any crypto function needs it.
enum Sodium {
    private static let initialized: Bool = ringway_sodium_init() == 0

    @inline(__always)
    static func ensureInitialized() {
        precondition(initialized, "libsodium could not be initialised")
    }
}
