import CRingwayURing
import DequeModule

#if canImport(Glibc)
import Glibc
#endif

/// A connected TCP socket on one event loop. Use only on the loop's thread (from an actor pinned
/// to the loop, or a task that prefers the loop as its executor).
///
/// Receiving uses one multishot recv with the loop's provided-buffer ring: an idle socket pins no
/// receive buffer, and received bytes are copied once into the socket's inbound buffer, from which
/// ``read(into:)`` takes them. Sending copies the bytes into an outbound buffer and keeps one send
/// in flight, continuing after short writes; bytes queued while a send is in flight go out with the
/// next one, so many small writes become few system calls.
public final class TCPSocket {
    public let loop: EventLoop
    let fd: Int32

    // Receiving.
    private var inbound: [UInt8] = []
    private var receiveOp: OpID?
    private var receivePaused = false
    private var sawEOF = false
    private var readError: (any Error)?
    private var reader: (token: UInt64, continuation: UnsafeContinuation<Bool, Never>)?
    private var nextToken: UInt64 = 0

    // Sending: `sending` is in flight (immutable until its completion), `queued` collects new bytes.
    private var sending = OutboundBuffer()
    private var sendOffset = 0
    private var queued = OutboundBuffer()
    private var sendOp: OpID?
    /// The loop will start a send for this socket before it next submits to the kernel.
    private var sendScheduled = false
    private var bytesSent: UInt64 = 0
    private var bytesQueued: UInt64 = 0
    private var writeError: (any Error)?
    private var writeWaiters: Deque<(target: UInt64, token: UInt64, continuation: UnsafeContinuation<(any Error)?, Never>)> = []

    private var closed = false
    private var closeWaiter: UnsafeContinuation<Void, Never>?

    init(acceptedFD fd: Int32, loop: EventLoop) {
        self.fd = fd
        self.loop = loop
        Self.setNoDelay(fd)
        loop.register(self)
    }

    /// Serves an accepted connection on `loop` (call on that loop's thread). The socket now owns
    /// the descriptor.
    public convenience init(adopting descriptor: AcceptedDescriptor, on loop: EventLoop) {
        loop.assertInLoop()
        self.init(acceptedFD: descriptor.fd, loop: loop)
    }

    private init(connectedFD fd: Int32, loop: EventLoop) {
        self.fd = fd
        self.loop = loop
        Self.setNoDelay(fd)
        loop.register(self)
    }

    private static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The peer's address, if the socket is still connected.
    public var remoteAddress: SocketAddress? { SocketAddress.of(fd: fd, peer: true) }
    /// The local address of the socket.
    public var localAddress: SocketAddress? { SocketAddress.of(fd: fd, peer: false) }

    /// Opens a connection to `address` with an io_uring connect.
    public static func connect(to address: SocketAddress, on loop: EventLoop, isolation: isolated (any Actor)? = #isolation) async throws -> sending TCPSocket {
        loop.assertInLoop()
        let fd = socket(address.domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError("socket", errno: errno) }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: SocketAddress.storageSize, alignment: 8)
        let length = address.write(to: storage)
        let result: Int32
        do {
            result = try await loop.submitOneShot(storage: storage) { ring, userData in
                rw_prep_connect(ring, fd, storage, length, userData)
            }
        } catch {
            Glibc.close(fd)
            throw error
        }
        guard result >= 0 else {
            Glibc.close(fd)
            throw loop.failure("connect \(address)", result)
        }
        return TCPSocket(connectedFD: fd, loop: loop)
    }

    // MARK: Reading

    /// Appends received bytes to `buffer` and returns how many; returns 0 at end of stream.
    /// Waits when nothing is buffered. One reader at a time. Cancelling the waiting task cancels
    /// the kernel receive (bytes already received stay buffered for the next read).
    public func read(into buffer: inout [UInt8], isolation: isolated (any Actor)? = #isolation) async throws -> Int {
        loop.assertInLoop()
        while true {
            if !inbound.isEmpty {
                let count = inbound.count
                if buffer.isEmpty {
                    // Hand over the whole inbound array; the caller's empty one becomes ours.
                    swap(&buffer, &inbound)
                } else {
                    buffer.append(contentsOf: inbound)
                    inbound.removeAll(keepingCapacity: true)
                }
                if receivePaused { resumeReceiving() }
                return count
            }
            if let readError { throw readError }
            if sawEOF { return 0 }
            if closed { throw RuntimeError.closed }
            if loop.stopping { throw RuntimeError.loopShutdown }
            guard reader == nil else { throw RuntimeError.concurrentRead }
            try Task.checkCancellation()
            if receiveOp == nil { rearmReceive() }
            if readError != nil { continue }
            nextToken &+= 1
            let token = nextToken
            let bound = LoopBound(self)
            let cancelled = await loop.suspend(isolation: isolation, onCancel: { bound.loop.execute { bound.value.cancelReader(token) } }) { continuation in
                // Entering the operation may have been a hop during which completions ran:
                // decide whether to wait only here, where registering cannot race them.
                self.loop.assertInLoop()
                if Task.isCancelled {
                    // Cancelled before this point: the cancellation handler found no reader.
                    continuation.resume(returning: true)
                } else if !self.inbound.isEmpty || self.sawEOF || self.readError != nil || self.closed || self.reader != nil {
                    continuation.resume(returning: false)
                } else {
                    self.reader = (token, continuation)
                }
            }
            if cancelled { throw CancellationError() }
        }
    }

    /// Reads until `count` bytes have been appended to `buffer`, or throws `IOError` with EPIPE-like
    /// `ECONNRESET` semantics replaced by ``RuntimeError/closed`` if the stream ends first.
    public func readExactly(_ count: Int, into buffer: inout [UInt8], isolation: isolated (any Actor)? = #isolation) async throws {
        let target = buffer.count + count
        while buffer.count < target {
            if try await read(into: &buffer) == 0 { throw IOError("recv", errno: ECONNRESET) }
        }
    }

    private func cancelReader(_ token: UInt64) {
        guard let reader, reader.token == token else { return }
        self.reader = nil
        reader.continuation.resume(returning: true)
        if let receiveOp { loop.cancel(receiveOp) }
    }

    private func wakeReader() {
        guard let reader else { return }
        self.reader = nil
        reader.continuation.resume(returning: false)
    }

    /// Arms the multishot receive (also called by the loop after an ENOBUFS pause).
    func rearmReceive() {
        guard receiveOp == nil, !closed, !sawEOF, readError == nil, !receivePaused else { return }
        if loop.stopping {
            readError = RuntimeError.loopShutdown
            wakeReader()
            return
        }
        let group = UInt16(0)
        receiveOp = loop.submitOwned(.recv(self)) { ring, userData in
            rw_prep_recv_multishot(ring, fd, group, userData)
        }
        if receiveOp == nil {
            readError = IOError("recv", errno: EBUSY)
            wakeReader()
        }
    }

    private func resumeReceiving() {
        receivePaused = false
        if receiveOp == nil { rearmReceive() }
    }

    func handleReceive(id: OpID, result: Int32, flags: UInt32, more: Bool) {
        if !more { receiveOp = nil }
        if flags & UInt32(RW_CQE_F_BUFFER) != 0, let bufferRing = loop.bufferRing {
            let bufferID = UInt16(truncatingIfNeeded: flags >> UInt32(RW_CQE_BUFFER_SHIFT))
            if result > 0 {
                let base = rw_buf_ring_buffer(bufferRing, bufferID)!
                inbound.append(contentsOf: UnsafeRawBufferPointer(start: base, count: Int(result)))
            }
            // The bytes are copied out: the buffer goes straight back to the kernel.
            rw_buf_ring_recycle(bufferRing, bufferID)
            loop.bufferRecycled()
        }
        if result > 0 {
            if inbound.count >= loop.configuration.maxPendingReadBytes, !receivePaused {
                // The reader is not keeping up: stop receiving and let TCP push back.
                receivePaused = true
                if let receiveOp { loop.cancel(receiveOp) }
            } else if !more {
                // The kernel ended the multishot (e.g. the buffer ring ran low): arm again.
                loop.rearmAfterCommit.append(self)
            }
        } else if result == 0 {
            sawEOF = true
        } else {
            switch -result {
            case ENOBUFS:
                // The provided-buffer ring was empty; re-arm once recycled buffers are published.
                loop.rearmAfterCommit.append(self)
            case ECANCELED:
                if loop.stopping { readError = RuntimeError.loopShutdown }
            case EINTR, EAGAIN:
                if !more { loop.rearmAfterCommit.append(self) }
            default:
                readError = IOError("recv", result: result)
            }
        }
        if !inbound.isEmpty || sawEOF || readError != nil { wakeReader() }
        if !more {
            // The receive ended (e.g. a pause was cancelled just as the reader caught up): a
            // reader still waiting needs it armed again.
            if reader != nil, !receivePaused, !closed, !sawEOF, readError == nil {
                loop.rearmAfterCommit.append(self)
            }
            checkCloseProgress()
        }
    }

    // MARK: Writing

    /// Queues `bytes` and starts sending them without waiting. Throws
    /// ``RuntimeError/writeBufferFull(limit:)`` when the socket already buffers too much (a peer
    /// that does not read), or the error that ended the connection.
    public func enqueue(_ bytes: UnsafeRawBufferPointer) throws {
        loop.assertInLoop()
        try checkWritable()
        let buffered = Int(bytesQueued &- bytesSent)
        if buffered > 0, buffered + bytes.count > loop.configuration.maxBufferedWriteBytes {
            throw RuntimeError.writeBufferFull(limit: loop.configuration.maxBufferedWriteBytes)
        }
        append(bytes)
    }

    /// Queues several byte ranges as one gathered write (see ``enqueue(_:)``).
    public func enqueue(gathering parts: [UnsafeRawBufferPointer]) throws {
        loop.assertInLoop()
        try checkWritable()
        let total = parts.reduce(0) { $0 + $1.count }
        let buffered = Int(bytesQueued &- bytesSent)
        if buffered > 0, buffered + total > loop.configuration.maxBufferedWriteBytes {
            throw RuntimeError.writeBufferFull(limit: loop.configuration.maxBufferedWriteBytes)
        }
        for part in parts { append(part) }
    }

    /// Sends `bytes` and waits until the kernel has taken all of them. When the socket already
    /// buffers more than its limit, waits for that to drain first.
    public func write(_ bytes: [UInt8], isolation: isolated (any Actor)? = #isolation) async throws {
        loop.assertInLoop()
        try checkWritable()
        if Int(bytesQueued &- bytesSent) + bytes.count > loop.configuration.maxBufferedWriteBytes {
            try await flush()
            try checkWritable()
        }
        bytes.withUnsafeBytes { append($0) }
        try await flush()
    }

    /// Waits until every byte queued so far has been handed to the kernel.
    public func flush(isolation: isolated (any Actor)? = #isolation) async throws {
        loop.assertInLoop()
        let target = bytesQueued
        if bytesSent >= target { return }
        try checkWritable()
        nextToken &+= 1
        let token = nextToken
        let bound = LoopBound(self)
        let error = await loop.suspend(isolation: isolation, onCancel: { bound.loop.execute { bound.value.cancelWriteWaiter(token) } }) { continuation in
            // See `read(into:)`: the completion may have run while entering the operation.
            self.loop.assertInLoop()
            if self.bytesSent >= target || self.writeError != nil {
                continuation.resume(returning: self.bytesSent >= target ? nil : self.writeError)
            } else if Task.isCancelled {
                continuation.resume(returning: CancellationError())
            } else {
                self.writeWaiters.append((target, token, continuation))
            }
        }
        if let error { throw error }
    }

    /// Bytes queued and not yet taken by the kernel.
    public var bufferedWriteBytes: Int { Int(bytesQueued &- bytesSent) }

    private func checkWritable() throws {
        if let writeError { throw writeError }
        if closed { throw RuntimeError.closed }
        if loop.stopping { throw RuntimeError.loopShutdown }
    }

    private func cancelWriteWaiter(_ token: UInt64) {
        // Cancelling a waiter does not unsend its bytes: they stay queued and go out in order.
        guard let index = writeWaiters.firstIndex(where: { $0.token == token }) else { return }
        let waiter = writeWaiters.remove(at: index)
        waiter.continuation.resume(returning: CancellationError())
    }

    private func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        queued.append(bytes)
        bytesQueued &+= UInt64(bytes.count)
        if sendOp == nil, !sendScheduled {
            // Not sent at once: everything written to this socket until the loop next submits
            // to the kernel (one pass of its jobs) goes out as one send.
            sendScheduled = true
            loop.scheduleSend(self)
        }
    }

    /// Called by the loop before it submits: starts the send scheduled by `append`.
    func startScheduledSend() {
        sendScheduled = false
        guard !closed, writeError == nil, sendOp == nil else { return }
        startSend()
    }

    private func startSend() {
        if sendOffset >= sending.count {
            guard queued.count > 0 else { return }
            sending.count = 0
            swap(&sending, &queued)
            sendOffset = 0
        }
        guard let base = sending.base else { return }
        let start = base + sendOffset
        let length = sending.count - sendOffset
        let id = loop.submitOwned(.send(self)) { ring, userData in
            rw_prep_send(ring, fd, start, length, userData)
        }
        sendOp = id
        if id == nil { failWrites(IOError("send", errno: EBUSY)) }
    }

    func handleSend(result: Int32) {
        sendOp = nil
        if result >= 0 {
            if closed {
                // `close` already failed the writes and settled the counters; a send that
                // completed meanwhile must not count again (`bufferedWriteBytes` would underflow).
                checkCloseProgress()
                return
            }
            sendOffset += Int(result)
            bytesSent &+= UInt64(result)
            while let first = writeWaiters.first, first.target <= bytesSent {
                writeWaiters.removeFirst().continuation.resume(returning: nil)
            }
            if closed {
                checkCloseProgress()
                return
            }
            if sendOffset >= sending.count {
                sending.count = 0
                sendOffset = 0
                if queued.count == 0 {
                    // Everything is sent: an idle connection pins no send buffer.
                    sending.free()
                    queued.free()
                } else {
                    sending.shrinkIfLarge()
                }
            }
            // A short write continues from `sendOffset`; otherwise the queued bytes go next.
            if sendOffset < sending.count || queued.count > 0 { startSend() }
        } else if result == -EAGAIN || result == -EINTR {
            if closed { checkCloseProgress() } else { startSend() }
        } else {
            failWrites(result == -ECANCELED ? (loop.stopping ? RuntimeError.loopShutdown : RuntimeError.closed) : IOError("send", result: result))
            checkCloseProgress()
        }
    }

    private func failWrites(_ error: any Error) {
        if writeError == nil { writeError = error }
        sending.count = 0
        sendOffset = 0
        queued.count = 0
        bytesSent = bytesQueued
        while let waiter = writeWaiters.popFirst() {
            waiter.continuation.resume(returning: error)
        }
    }

    // MARK: Closing

    /// Closes the socket: a pending read and unsent writes fail with ``RuntimeError/closed``, the
    /// in-flight kernel operations are cancelled and awaited, then the descriptor is closed.
    public func close(isolation: isolated (any Actor)? = #isolation) async {
        loop.assertInLoop()
        guard !closed else { return }
        closed = true
        if let reader {
            self.reader = nil
            if readError == nil { readError = RuntimeError.closed }
            reader.continuation.resume(returning: false)
        }
        failWrites(RuntimeError.closed)
        if let receiveOp { loop.cancel(receiveOp) }
        if let sendOp { loop.cancel(sendOp) }
        await withUnsafeContinuation { continuation in
            if receiveOp == nil && sendOp == nil {
                continuation.resume()
            } else {
                closeWaiter = continuation
            }
        }
        releaseResources()
        loop.unregister(self)
        if loop.stopping {
            Glibc.close(fd)
            return
        }
        let fd = self.fd
        do {
            _ = try await loop.submitOneShot { ring, userData in rw_prep_close(ring, fd, userData) }
        } catch {
            // A cancelled task (or a stopping loop) cannot submit: close directly, never leak.
            Glibc.close(fd)
        }
    }

    private func checkCloseProgress() {
        guard closed, receiveOp == nil, sendOp == nil, let closeWaiter else { return }
        self.closeWaiter = nil
        closeWaiter.resume()
    }

    private func releaseResources() {
        sending.free()
        queued.free()
        inbound = []
    }
}

extension TCPSocket: LoopRegistered, HasLoop {
    func loopIsStopping() {}

    func closeForShutdown() {
        guard !closed else { return }
        closed = true
        if readError == nil { readError = RuntimeError.loopShutdown }
        wakeReader()
        failWrites(RuntimeError.loopShutdown)
        releaseResources()
        Glibc.close(fd)
    }
}

@available(*, unavailable)
extension TCPSocket: Sendable {}

/// A growable byte buffer whose storage does not move while a send points into it (it only grows
/// between sends of the buffer that owns it).
struct OutboundBuffer {
    var base: UnsafeMutableRawPointer?
    var count = 0
    var capacity = 0

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        let needed = count + bytes.count
        if needed > capacity {
            let newCapacity = max(needed, max(capacity * 2, 4096))
            let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
            if let base {
                newBase.copyMemory(from: base, byteCount: count)
                base.deallocate()
            }
            base = newBase
            capacity = newCapacity
        }
        base!.advanced(by: count).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        count = needed
    }

    /// Large buffers are returned to the allocator once drained, so a burst does not pin memory.
    mutating func shrinkIfLarge() {
        if count == 0, capacity > 64 * 1024 { free() }
    }

    mutating func free() {
        base?.deallocate()
        base = nil
        count = 0
        capacity = 0
    }
}

