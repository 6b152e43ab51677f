import RingwayRuntime

/// One waiting long-poll (`GET /v1/messages?wait=S`): suspended until signalled by a message
/// for its entity, a newer poll, the timeout or shutdown. Signalling is idempotent and may come
/// from any thread; the waiting task resumes exactly once.
final class PollWaiter: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, Never>?
        var signalled = false
    }

    private let state = Locked(State())

    /// Wakes the waiting task (now, or as soon as it waits).
    func signal() {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.signalled = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }

    /// Suspends until ``signal()``, at most `timeout`, on `loop`.
    func wait(timeout: Duration, on loop: EventLoop) async {
        await withTaskGroup(of: Void.self) { group in
            // Also ends the wait when the request is cancelled (connection closed, shutdown).
            group.addTask(executorPreference: loop) {
                try? await loop.sleep(for: timeout)
                self.signal()
            }
            await withTaskExecutorPreference(loop) {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.signalled { return true }
                        state.continuation = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
            group.cancelAll()
        }
    }
}
