#if canImport(Glibc)
import Glibc
#endif

/// State guarded by a `pthread_mutex_t`.
///
/// Used instead of `Synchronization.Mutex`, which is futex-based on Linux and invisible to
/// ThreadSanitizer: with this lock a `--sanitize=thread` run of the runtime reports only real races.
public final class Locked<State>: @unchecked Sendable {
    // @unchecked Sendable: `state` is read and written only while `mutex` is held.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var state: State

    /// Guards `state`.
    public init(_ state: State) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        self.state = state
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the lock held.
    public func withLock<Result, Failure: Error>(_ body: (inout State) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }
}
