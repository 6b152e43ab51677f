import DequeModule
import RingwayRuntime

/// Received messages waiting for the application, and the waiting reader. A message is
/// acknowledged when the application takes it (``ClientMessages`` calls `onTaken`).
final class MessageInbox: Sendable {
    private struct State {
        var messages: Deque<ReceivedMessage> = []
        var waiter: CheckedContinuation<ReceivedMessage?, Never>?
        var finished = false
    }

    private let state = Locked(State())

    func push(_ message: ReceivedMessage) {
        let waiter = state.withLock { state -> CheckedContinuation<ReceivedMessage?, Never>? in
            guard !state.finished else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.messages.append(message)
            return nil
        }
        waiter?.resume(returning: message)
    }

    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<ReceivedMessage?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    var count: Int { state.withLock { $0.messages.count } }

    /// The next message, or nil once finished and empty. One reader at a time.
    func next() async -> ReceivedMessage? {
        await withCheckedContinuation { (continuation: CheckedContinuation<ReceivedMessage?, Never>) in
            let ready = state.withLock { state -> ReceivedMessage?? in
                if let message = state.messages.popFirst() { return .some(message) }
                if state.finished { return .some(nil) }
                precondition(state.waiter == nil, "RingwayClient.messages has one reader at a time")
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// The messages a client receives, in arrival order, each handed out once; taking one
/// acknowledges it to its sender. Ends when the client stops.
public struct ClientMessages: AsyncSequence, Sendable {
    public typealias Element = ReceivedMessage

    let inbox: MessageInbox
    let onTaken: @Sendable (ReceivedMessage) -> Void

    public struct AsyncIterator: AsyncIteratorProtocol {
        let inbox: MessageInbox
        let onTaken: @Sendable (ReceivedMessage) -> Void

        public mutating func next() async -> ReceivedMessage? {
            guard let message = await inbox.next() else { return nil }
            onTaken(message)
            return message
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inbox: inbox, onTaken: onTaken)
    }
}
