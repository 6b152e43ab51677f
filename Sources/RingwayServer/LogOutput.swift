import RingwayRuntime

#if canImport(Glibc)
import Glibc
#endif

/// Where log lines go: a file descriptor (standard error by default), or memory for tests.
/// Lines from different threads never interleave.
public final class LogOutput: Sendable {
    private enum Target {
        case descriptor(Int32)
        case memory
    }

    private let target: Target
    private let state = Locked<[String]>([])

    private init(target: Target) {
        self.target = target
    }

    /// Standard error.
    public static let standardError = LogOutput(target: .descriptor(2))

    /// Writes to an open descriptor (not closed by the output).
    public static func descriptor(_ fd: Int32) -> LogOutput {
        LogOutput(target: .descriptor(fd))
    }

    /// Keeps the lines in memory; read them with ``lines``.
    public static func memory() -> LogOutput {
        LogOutput(target: .memory)
    }

    /// The lines kept by a memory output, oldest first (without their newline).
    public var lines: [String] {
        state.withLock { $0 }
    }

    func write(_ line: String) {
        switch target {
        case .memory:
            state.withLock { $0.append(line) }
        case .descriptor(let fd):
            var bytes = Array(line.utf8)
            bytes.append(UInt8(ascii: "\n"))
            state.withLock { _ in
                var offset = 0
                while offset < bytes.count {
                    let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
                    if written < 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    offset += written
                }
            }
        }
    }
}
