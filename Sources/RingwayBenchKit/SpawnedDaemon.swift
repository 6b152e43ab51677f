import Foundation
import RingwayClient
import RingwayHTTP
import RingwayRuntime
import RingwayTLS

#if canImport(Glibc)
import Glibc
#endif

/// A `ringwayd` the tool starts for a run: on a free 127.0.0.1 port, with a temporary data
/// directory and the limits a load test needs turned off; stopped (and its directory removed)
/// by ``stop()``.
public final class SpawnedDaemon: Sendable {
    /// The daemon's URL (`http://` or `https://127.0.0.1:PORT`).
    public let url: String
    /// Its working directory (the data directory is `data` inside it).
    public let dataDirectory: String
    /// Its log (standard error), kept in the data directory until ``stop()``.
    public let logPath: String
    private let child: ChildProcess

    private init(url: String, dataDirectory: String, logPath: String, child: ChildProcess) {
        self.url = url
        self.dataDirectory = dataDirectory
        self.logPath = logPath
        self.child = child
    }

    /// The process id.
    public var pid: Int32 { child.pid }

    /// The PEM of its self-signed certificate (TLS only).
    public func certificate() throws(BenchError) -> String {
        do {
            return try String(contentsOfFile: dataDirectory + "/data/tls-cert.pem", encoding: .utf8)
        } catch {
            throw .setup("cannot read the daemon's certificate: \(error)")
        }
    }

    /// Starts `executable` (`ringwayd`) and waits until it listens.
    /// - Parameters:
    ///   - tls: serve `https`/`wss` with a self-signed certificate.
    ///   - verifySignatures: `all` when true, else `hello`.
    ///   - maxConnections: the daemon's connection cap.
    public static func start(executable: String, tls: Bool, verifySignatures: Bool, maxConnections: Int) async throws(BenchError) -> SpawnedDaemon {
        guard access(executable, X_OK) == 0 else {
            throw .setup("cannot run \(executable): build it (swift build -c release --product ringwayd) or pass --daemon PATH")
        }
        var template = Array("/tmp/ringway-bench-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw .setup("cannot create a temporary directory") }
        let directory = String(cString: made)
        let logPath = directory + "/ringwayd.log"
        let settings: [String: String?] = [
            "RINGWAY_LISTEN": "127.0.0.1:0",
            "RINGWAY_TLS": tls ? "on" : "off",
            "RINGWAY_TLS_CERT": nil,
            "RINGWAY_TLS_KEY": nil,
            "RINGWAY_DATA_DIR": directory + "/data",
            "RINGWAY_KEYS_FILE": nil,
            "RINGWAY_ALLOWLIST_FILE": nil,
            "RINGWAY_VERIFY_SIGNATURES": verifySignatures ? "all" : "hello",
            "RINGWAY_LOG_LEVEL": "warning",
            "RINGWAY_MAX_CONNECTIONS": String(maxConnections),
            "RINGWAY_MAX_CONNECTIONS_PER_IP": "0",
            "RINGWAY_HANDSHAKE_RATE_PER_IP": "0",
            "RINGWAY_MSG_RATE_PER_ENTITY": "0",
            "RINGWAY_BYTE_RATE_PER_ENTITY": "0",
            "RINGWAY_HEARTBEAT_INTERVAL_S": "5",
            "RINGWAY_SHUTDOWN_GRACE_S": "2",
            "RINGWAY_SHUTDOWN_DRAIN_S": "0",
        ]
        // An empty configuration file: the defaults and the settings above, never a
        // Config/ringwayd.json of the working directory.
        let configPath = directory + "/ringwayd.json"
        guard FileManager.default.createFile(atPath: configPath, contents: Data("{}\n".utf8)) else {
            throw .setup("cannot write \(configPath)")
        }
        let child = try ChildProcess.spawn(
            executable: executable, arguments: ["serve", "--config", configPath], environment: settings, errorPath: logPath)
        // The first line says where it listens: "ringwayd VERSION listening on URL".
        let first: String? = await withTaskGroup(of: String?.self) { group in
            group.addTask {
                for await line in child.lines {
                    if let range = line.range(of: " listening on ") { return String(line[range.upperBound...]) }
                }
                return nil
            }
            group.addTask {
                _ = await child.wait(timeout: .seconds(30))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let url = first else {
            child.signal(SIGKILL)
            _ = await child.wait()
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw .setup("ringwayd did not start" + (log.isEmpty ? "" : ":\n" + log))
        }
        // Keep reading its output so that it never blocks on a full pipe.
        Task { for await _ in child.lines {} }
        return SpawnedDaemon(url: url.replacingOccurrences(of: "localhost", with: "127.0.0.1"), dataDirectory: directory, logPath: logPath, child: child)
    }

    /// Its resident memory now, from `/proc/PID/status` (`VmRSS`).
    public func residentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1_024 }
        }
        return nil
    }

    /// Stops it (SIGTERM, then SIGKILL after 10 s) and removes its directory unless `keep`.
    /// Answers the exit status.
    @discardableResult
    public func stop(keep: Bool = false) async -> Int32 {
        child.signal(SIGTERM)
        var status = await child.wait(timeout: .seconds(10))
        if status == nil {
            child.signal(SIGKILL)
            status = await child.wait()
        }
        if !keep { try? FileManager.default.removeItem(atPath: dataDirectory) }
        return status ?? -1
    }
}

/// Reads `process_resident_memory_bytes` from a server's `/metrics`.
public actor MetricsMemoryProbe {
    /// The loop its requests run on.
    public nonisolated let loop: EventLoop
    /// The loop, as the actor's executor.
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    private let endpoint: ServerEndpoint
    private let trust: ClientTLSTrust

    /// A probe of the server at `url`.
    public init(url: String, trust: BenchTrust, loop: EventLoop) throws(ClientError) {
        self.loop = loop
        self.endpoint = try ServerEndpoint(url: url)
        self.trust = trust.clientTrust
    }

    /// The gauge's value now, or nil when the server does not expose it (or cannot be reached).
    public func residentBytes() async -> Int? {
        do {
            let tls = endpoint.tls ? try trust.context() : nil
            let connection = try await HTTPClientConnection.open(endpoint, tls: tls, on: loop)
            defer { Task(executorPreference: loop) { await connection.close() } }
            let response = try await connection.request(.get, "/metrics")
            guard response.status == 200 else { return nil }
            for line in String(decoding: response.body, as: UTF8.self).split(separator: "\n")
            where line.hasPrefix("process_resident_memory_bytes ") {
                return Double(line.split(separator: " ").last ?? "").map { Int($0) }
            }
            return nil
        } catch {
            return nil
        }
    }
}
