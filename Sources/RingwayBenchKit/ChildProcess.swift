import Foundation
import RingwayRuntime
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process with its standard output read line by line and its standard input held
/// open until ``closeInput()`` (a child that sees end of input knows its parent is done or gone).
final class ChildProcess: Sendable {
    /// The process id.
    let pid: pid_t
    /// Lines of its standard output, until it closes it.
    let lines: AsyncStream<String>
    private let input: Atomic<Int32>
    private let exit = OneShot<Int32>()

    private init(pid: pid_t, input: Int32, lines: AsyncStream<String>) {
        self.pid = pid
        self.input = Atomic(input)
        self.lines = lines
    }

    /// Starts `executable` with `arguments`, with `environment` added to this
    /// process's (a nil value removes a variable), standard error to `errorPath` (or inherited).
    static func spawn(
        executable: String, arguments: [String], environment: [String: String?] = [:], errorPath: String? = nil
    ) throws(BenchError) -> ChildProcess {
        var toChild: [Int32] = [0, 0]
        var fromChild: [Int32] = [0, 0]
        guard pipe(&toChild) == 0, pipe(&fromChild) == 0 else {
            throw .setup("cannot create pipes: \(String(cString: strerror(errno)))")
        }
        // Not inherited by other children (the copies on 0 and 1 are).
        for descriptor in toChild + fromChild { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        if let errorPath {
            posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        }

        var variables = ProcessInfo.processInfo.environment
        for (name, value) in environment { variables[name] = value }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        // Its own process group: a Ctrl-C at the terminal reaches only the parent, which ends
        // the run in order and stops its children itself.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        close(toChild[0])
        close(fromChild[1])
        guard status == 0 else {
            close(toChild[1])
            close(fromChild[0])
            throw .setup("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        let output = fromChild[0]
        let childPID = pid
        let (lines, continuation) = AsyncStream<String>.makeStream()
        let child = ChildProcess(pid: pid, input: toChild[1], lines: lines)
        // Blocking reads on their own thread: the event loops never wait for a child.
        let reader = Thread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                pending.append(contentsOf: buffer[..<count])
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    continuation.yield(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
            }
            if !pending.isEmpty { continuation.yield(String(decoding: pending, as: UTF8.self)) }
            close(output)
            continuation.finish()
        }
        reader.start()
        let exit = child.exit
        let waiter = Thread {
            var status: Int32 = 0
            while waitpid(childPID, &status, 0) < 0, errno == EINTR {}
            // WIFEXITED / WEXITSTATUS, spelled out (the macros are not imported).
            let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            exit.fulfill(code)
        }
        waiter.start()
        return child
    }

    /// Closes the child's standard input (once).
    func closeInput() {
        let descriptor = input.exchange(-1, ordering: .relaxed)
        if descriptor >= 0 { close(descriptor) }
    }

    /// Sends `signal` to the child.
    func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// The exit status (128 + the signal number when a signal ended it).
    func wait() async -> Int32 {
        await exit.wait()
    }

    /// Waits for the exit at most `timeout`; nil when the child is still running.
    func wait(timeout: Duration) async -> Int32? {
        let exit = self.exit
        _ = await waitUntil(.now + timeout, stop: StopFlag()) { exit.peek != nil }
        return exit.peek
    }
}

/// Writes lines to standard output, whole, from any task.
enum OutputLines {
    private static let lock = Locked(())

    static func write(_ line: String) {
        lock.withLock { _ in
            let bytes = Array((line + "\n").utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
