import CRingwayURing
import DequeModule

#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket on one event loop. Connections are accepted with a multishot accept;
/// ``accept()`` hands them out one at a time. Use only on the loop's thread.
public final class TCPListener {
    public let loop: EventLoop
    /// The bound address (with the kernel-chosen port when bound to port 0).
    public let localAddress: SocketAddress
    let fd: Int32

    private var acceptOp: OpID?
    private var pending: Deque<Int32> = []
    private var pendingError: (any Error)?
    private var waiter: (token: UInt64, continuation: UnsafeContinuation<Result<Int32, any Error>, Never>)?
    private var nextToken: UInt64 = 0
    private var closed = false
    private var closeWaiter: UnsafeContinuation<Void, Never>?

    /// Binds and listens. `port` 0 picks an ephemeral port (see ``localAddress``).
    /// With `reusePort`, several listeners can bind the same address and the kernel spreads
    /// incoming connections over them (`SO_REUSEPORT`). Beware: the port is then shared with any
    /// other `SO_REUSEPORT` socket of the same user, including one bound to port 0 that the
    /// kernel happens to give the same number.
    public static func bind(_ address: SocketAddress, backlog: Int32 = 4096, reusePort: Bool = false, on loop: EventLoop) throws -> TCPListener {
        loop.assertInLoop()
        guard !loop.stopping else { throw RuntimeError.loopShutdown }
        let fd = socket(address.domain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError("socket", errno: errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort, setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            let e = errno
            Glibc.close(fd)
            throw IOError("setsockopt SO_REUSEPORT", errno: e)
        }
        let storage = UnsafeMutableRawPointer.allocate(byteCount: SocketAddress.storageSize, alignment: 8)
        defer { storage.deallocate() }
        let length = address.write(to: storage)
        if Glibc.bind(fd, storage.assumingMemoryBound(to: sockaddr.self), length) != 0 {
            let e = errno
            Glibc.close(fd)
            throw IOError("bind \(address)", errno: e)
        }
        if listen(fd, backlog) != 0 {
            let e = errno
            Glibc.close(fd)
            throw IOError("listen", errno: e)
        }
        let bound = SocketAddress.of(fd: fd, peer: false) ?? address
        let listener = TCPListener(fd: fd, localAddress: bound, loop: loop)
        loop.register(listener)
        return listener
    }

    private init(fd: Int32, localAddress: SocketAddress, loop: EventLoop) {
        self.fd = fd
        self.localAddress = localAddress
        self.loop = loop
    }

    /// Waits for the next connection. Cancelling the waiting task resumes it with
    /// `CancellationError`; connections that arrive meanwhile are kept for the next call.
    public func accept(isolation: isolated (any Actor)? = #isolation) async throws -> sending TCPSocket {
        let descriptor = try await acceptDescriptor()
        return TCPSocket(acceptedFD: descriptor.fd, loop: loop)
    }

    /// Waits for the next connection and returns its descriptor, to be served on another loop
    /// with ``TCPSocket/init(adopting:on:)`` (exactly once). A server accepts on one loop and
    /// spreads connections over the group this way, keeping its port exclusive.
    public func acceptDescriptor(isolation: isolated (any Actor)? = #isolation) async throws -> AcceptedDescriptor {
        loop.assertInLoop()
        if let fd = pending.popFirst() {
            resumeAcceptingIfNeeded()
            return AcceptedDescriptor(fd: fd)
        }
        if let error = pendingError {
            pendingError = nil
            throw error
        }
        guard !closed else { throw RuntimeError.closed }
        guard !loop.stopping else { throw RuntimeError.loopShutdown }
        precondition(waiter == nil, "accept() called while another accept() is waiting")
        try Task.checkCancellation()
        armIfNeeded()
        nextToken &+= 1
        let token = nextToken
        let unsafeSelf = LoopBound(self)
        let result = await loop.suspend(isolation: isolation, onCancel: { unsafeSelf.loop.execute { unsafeSelf.value.cancelWaiter(token) } }) { (continuation: UnsafeContinuation<Result<Int32, any Error>, Never>) in
            // Entering the operation may have been a hop during which completions ran.
            self.loop.assertInLoop()
            if let fd = self.pending.popFirst() {
                continuation.resume(returning: .success(fd))
            } else if let error = self.pendingError {
                self.pendingError = nil
                continuation.resume(returning: .failure(error))
            } else if self.closed {
                continuation.resume(returning: .failure(RuntimeError.closed))
            } else if Task.isCancelled {
                // Cancelled before this point: the cancellation handler found no waiter.
                continuation.resume(returning: .failure(CancellationError()))
            } else {
                self.waiter = (token, continuation)
            }
        }
        return AcceptedDescriptor(fd: try result.get())
    }

    private func cancelWaiter(_ token: UInt64) {
        guard let waiter, waiter.token == token else { return }
        self.waiter = nil
        waiter.continuation.resume(returning: .failure(CancellationError()))
    }

    private func armIfNeeded() {
        guard acceptOp == nil, !closed, !loop.stopping else { return }
        acceptOp = loop.submitOwned(.accept(self)) { ring, userData in
            rw_prep_accept_multishot(ring, fd, userData)
        }
        if acceptOp == nil { deliver(.failure(IOError("accept", errno: EBUSY))) }
    }

    private func resumeAcceptingIfNeeded() {
        if pending.count < loop.configuration.maxPendingAccepts / 2 { armIfNeeded() }
    }

    private func deliver(_ result: Result<Int32, any Error>) {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: result)
            return
        }
        switch result {
        case .success(let fd): pending.append(fd)
        case .failure(let error): pendingError = error
        }
    }

    func handleAccept(id: OpID, result: Int32, more: Bool) {
        if !more { acceptOp = nil }
        if result >= 0 {
            if closed {
                Glibc.close(result)
            } else {
                deliver(.success(result))
                // Too many unclaimed connections: stop accepting until accept() catches up.
                if pending.count >= loop.configuration.maxPendingAccepts, let op = acceptOp {
                    loop.cancel(op)
                }
            }
        } else if result == -ECANCELED {
            if loop.stopping { deliver(.failure(RuntimeError.loopShutdown)) }
        } else {
            // EMFILE/ENFILE/ENOBUFS and friends: report to the waiting caller; the next accept()
            // re-arms. Connection-specific failures are skipped.
            switch -result {
            case ECONNABORTED, EINTR, EAGAIN: break
            default: deliver(.failure(IOError("accept", result: result)))
            }
        }
        if !more {
            if closed {
                closeWaiter?.resume()
                closeWaiter = nil
            } else if waiter != nil {
                armIfNeeded()
            }
        }
    }

    /// Stops accepting, closes connections accepted but not yet handed out, and closes the socket.
    public func close(isolation: isolated (any Actor)? = #isolation) async {
        loop.assertInLoop()
        guard !closed else { return }
        closed = true
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: .failure(RuntimeError.closed))
        }
        if let op = acceptOp {
            loop.cancel(op)
            await withUnsafeContinuation { continuation in
                if acceptOp == nil { continuation.resume() } else { closeWaiter = continuation }
            }
        }
        closeDescriptors()
    }

    private func closeDescriptors() {
        while let fd = pending.popFirst() { Glibc.close(fd) }
        Glibc.close(fd)
        loop.unregister(self)
    }
}

extension TCPListener: LoopRegistered {
    func loopIsStopping() {}

    func closeForShutdown() {
        guard !closed else { return }
        closed = true
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: .failure(RuntimeError.loopShutdown))
        }
        while let fd = pending.popFirst() { Glibc.close(fd) }
        Glibc.close(fd)
    }
}

@available(*, unavailable)
extension TCPListener: Sendable {}

/// An accepted connection's descriptor on its way to the loop that will serve it. Adopt it
/// exactly once with ``TCPSocket/init(adopting:on:)``; until then it is owned by whoever holds it.
public struct AcceptedDescriptor: Sendable {
    let fd: Int32
}

/// Carries a loop-confined object into a `@Sendable` closure that only dereferences it on the
/// loop's thread (via `EventLoop.execute`).
struct LoopBound<Value: AnyObject & HasLoop>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only touched inside `loop.execute`, i.e. on its own loop.
    let value: Value
    let loop: EventLoop
    init(_ value: Value) {
        self.value = value
        self.loop = value.loop
    }
}

protocol HasLoop { var loop: EventLoop { get } }
extension TCPListener: HasLoop {}
