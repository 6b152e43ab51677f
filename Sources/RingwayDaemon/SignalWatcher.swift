import Dispatch
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGTERM/SIGINT into values an async task can wait for. The signals are blocked from
/// their default action and delivered through dispatch sources, so no code runs in a signal
/// handler.
final class SignalWatcher: Sendable {
    private let stream: AsyncStream<Int32>
    // Dispatch sources are thread-safe; they are kept here only to stay alive.
    nonisolated(unsafe) private let sources: [any DispatchSourceSignal]

    init(signals: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        let queue = DispatchQueue(label: "ringwayd.signals")
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
    }

    /// Waits for the next signal.
    func next() async -> Int32 {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next() ?? SIGTERM
    }

    /// From now on, a signal ends the process immediately with status 1.
    func exitOnNextSignal(logger: Logger) {
        let stream = self.stream
        Task.detached {
            for await number in stream {
                logger.warning("received \(SignalWatcher.name(of: number)) while stopping; exiting now")
                exit(1)
            }
        }
    }

    static func name(of number: Int32) -> String {
        switch number {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        default: "signal \(number)"
        }
    }
}
