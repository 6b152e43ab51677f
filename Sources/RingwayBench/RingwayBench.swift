import ArgumentParser
import Dispatch
import Foundation
import RingwayBenchKit
import RingwayClient
import RingwayRuntime

#if canImport(Glibc)
import Glibc
#endif

/// `ringway-bench`: load tests against a `ringwayd`, started here or already running.
@main
struct RingwayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringway-bench",
        abstract: "Load-test a Ringway daemon: latency, throughput, connections or fan-out.",
        discussion: """
            Without --server, ringwayd (found next to this executable, or --daemon) is started on a free \
            127.0.0.1 port with its rate limits off and stopped at the end. With --server, the daemon's \
            limits must allow the load (per-IP connections and handshakes, per-entity message rates).
            Exit status: 0 for a clean run, 1 when anything was lost, failed or timed out, 2 for bad options.
            """,
        subcommands: [Latency.self, Throughput.self, Connections.self, Fanout.self, Worker.self])
}

/// Options every workload takes.
struct CommonOptions: ParsableArguments {
    @Option(help: ArgumentHelp("URL of a running daemon (ws://, wss://, http://, https://); without it ringwayd is started here.", valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("The ringwayd to start (default: next to this executable).", valueName: "path"))
    var daemon: String?

    @Option(help: ArgumentHelp("Bytes of JSON payload per message.", valueName: "n"))
    var payloadBytes = 64

    @Flag(help: "Start the daemon with TLS (its self-signed certificate is trusted).")
    var tls = false

    @Option(help: ArgumentHelp("PEM certificate to trust for wss/https with --server.", valueName: "file"))
    var ca: String?

    @Flag(help: "Do not verify the server's certificate (loopback development only).")
    var insecure = false

    @Option(help: ArgumentHelp(
        "on: the started daemon verifies every envelope (verify_signatures all) and clients verify what they receive; off: hello only, clients do not verify.",
        valueName: "on|off"))
    var verifySignatures = "on"

    @Option(help: ArgumentHelp("Seconds of sending (fanout: over which the broadcasts are spread).", valueName: "s"))
    var duration = 10.0

    @Option(help: ArgumentHelp("Seconds allowed after the sending for answers and deliveries still on their way.", valueName: "s"))
    var drain = 3.0

    @Option(help: ArgumentHelp("Processes to spread the connections over; 0 picks enough for the open-file limit.", valueName: "n"))
    var processes = 0

    @Option(help: ArgumentHelp("Event loops per process (by default one per processor, at most 8).", valueName: "n"))
    var loops = min(8, max(1, ProcessInfo.processInfo.activeProcessorCount))

    @Option(help: ArgumentHelp("Seconds one connection may take to become ready.", valueName: "s"))
    var connectTimeout = 15.0

    @Flag(help: "Print only the JSON object.")
    var json = false
}

/// Runs `configure`d spec with the common options; never returns.
func runBenchmark(_ workload: Workload, _ options: CommonOptions, configure: (inout BenchSpec) -> Void) async -> Never {
    guard ["on", "off"].contains(options.verifySignatures) else { fail("--verify-signatures must be on or off") }
    var spec = BenchSpec(workload: workload, server: options.server ?? "http://127.0.0.1:0")
    spec.payloadBytes = options.payloadBytes
    spec.verifySignatures = options.verifySignatures == "on"
    spec.duration = options.duration
    spec.drain = options.drain
    spec.loops = options.loops
    spec.connectTimeout = options.connectTimeout
    configure(&spec)
    do {
        try spec.validate()
    } catch {
        fail("\(error)")
    }
    guard options.processes >= 0 else { fail("--processes must not be negative") }

    var daemon: SpawnedDaemon?
    if options.server == nil {
        let path = options.daemon ?? siblingExecutable("ringwayd")
        let sockets = spec.units * spec.socketsPerUnit + 1
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let cap = limit.rlim_cur == rlim_t.max ? 1_000_000 : max(64, Int(limit.rlim_cur) - 64)
        if sockets > cap { note("warning: \(sockets) connections exceed the daemon's open-file limit (\(cap + 64)); some will fail") }
        do {
            let started = try await SpawnedDaemon.start(executable: path, tls: options.tls, verifySignatures: spec.verifySignatures, maxConnections: cap)
            daemon = started
            spec.server = started.url
            if options.tls { spec.trust = .certificate(pem: try started.certificate()) }
        } catch {
            if let daemon { await daemon.stop() }
            fail("\(error)", status: 1)
        }
    } else {
        if options.tls { note("note: --tls applies to a daemon started here; with --server the URL's scheme decides") }
        if options.insecure {
            spec.trust = .insecure
        } else if let ca = options.ca {
            guard let pem = try? String(contentsOfFile: ca, encoding: .utf8) else { fail("cannot read the certificate \(ca)", status: 1) }
            spec.trust = .certificate(pem: pem)
        }
    }

    var runner = BenchRunner(spec: spec)
    runner.processes = options.processes
    runner.workerExecutable = ownExecutable() ?? "/proc/self/exe"
    runner.spawnedDaemon = daemon != nil
    let probeGroup = try? EventLoopGroup(loopCount: 1)
    if let daemon {
        runner.memory = { daemon.residentBytes() }
    } else if let probeGroup, let probe = try? MetricsMemoryProbe(url: spec.server, trust: spec.trust, loop: probeGroup.loops[0]) {
        runner.memory = { await probe.residentBytes() }
    }
    let live = !options.json && isatty(2) == 1
    if live {
        let workload = spec.workload
        let previous = Locked((received: 0, elapsed: 0.0))
        runner.progress = { snapshot, elapsed in
            // The rate over the last interval, not since the start.
            let rate = previous.withLock { last -> Double in
                defer { last = (snapshot.received, elapsed) }
                return Double(snapshot.received - last.received) / max(elapsed - last.elapsed, 0.001)
            }
            let line: String
            switch workload {
            case .connections:
                line = String(format: "%5.0fs  connections %d  errors %d", elapsed, snapshot.connections, snapshot.errors)
            default:
                line = String(format: "%5.0fs  sent %d  acked %d  received %d (%.0f/s)  errors %d  connections %d",
                              elapsed, snapshot.sent, snapshot.acked, snapshot.received, rate,
                              snapshot.errors, snapshot.connections)
            }
            writeError("\r\u{1B}[K" + line)
        }
    }
    // Ctrl-C ends the run early; what was measured is still reported.
    let stop = runner.stop
    signal(SIGINT, SIG_IGN)
    let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "ringway-bench.signals"))
    interrupt.setEventHandler { stop.set() }
    interrupt.resume()

    let report: BenchReport
    do {
        report = try await runner.run()
    } catch {
        if let daemon { await daemon.stop() }
        fail("\(error)", status: 1)
    }
    if live { writeError("\r\u{1B}[K") }
    if let daemon {
        let status = await daemon.stop(keep: !report.ok)
        if !report.ok { note("the daemon's log is kept in \(daemon.logPath)") }
        if status != 0 { note("warning: ringwayd exited with status \(status)") }
    }
    if let probeGroup { await probeGroup.shutdown() }
    if !options.json { print(report.text) }
    print(report.json)
    fflush(nil)
    exit(report.ok ? 0 : 1)
}

/// This executable's path.
func ownExecutable() -> String? {
    var buffer = [CChar](repeating: 0, count: 4_096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard count > 0 else { return nil }
    return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The path of `name` in this executable's directory.
func siblingExecutable(_ name: String) -> String {
    guard let path = ownExecutable(), let slash = path.lastIndex(of: "/") else { return name }
    return String(path[...slash]) + name
}

func writeError(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

func note(_ text: String) {
    writeError("ringway-bench: \(text)\n")
}

/// Prints `ringway-bench: message` on standard error and exits with `status`.
func fail(_ message: String, status: Int32 = 2) -> Never {
    fflush(nil)
    note(message)
    exit(status)
}

/// `ringway-bench latency`.
struct Latency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Connections in pairs, each sending to its partner; one-way latency at the receiver.")

    @OptionGroup var options: CommonOptions

    @Option(help: ArgumentHelp("Connections (even: they form pairs).", valueName: "c"))
    var connections = 100

    @Option(help: ArgumentHelp("Messages per second over all connections.", valueName: "r"))
    var rate = 1_000

    func run() async throws {
        await runBenchmark(.latency, options) { spec in
            spec.connections = connections
            spec.rate = rate
        }
    }
}

/// `ringway-bench throughput`.
struct Throughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sender/receiver pairs, each sender keeping W messages on their way to its partner; delivered msg/s.")

    @OptionGroup var options: CommonOptions

    @Option(help: ArgumentHelp("Sender/receiver pairs.", valueName: "p"))
    var pairs = 10

    @Option(help: ArgumentHelp("Messages each sender keeps in flight: sent and not yet received by its partner.", valueName: "w"))
    var inFlight = 8

    func run() async throws {
        await runBenchmark(.throughput, options) { spec in
            spec.pairs = pairs
            spec.inFlight = inFlight
        }
    }
}

/// `ringway-bench connections`.
struct Connections: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open C authenticated sessions, hold them with heartbeats, report failures and the daemon's memory.")

    @OptionGroup var options: CommonOptions

    @Option(help: ArgumentHelp("Sessions to open.", valueName: "c"))
    var connections = 1_000

    @Option(help: ArgumentHelp("Seconds to hold them once all are open.", valueName: "s"))
    var hold = 10.0

    @Option(help: ArgumentHelp("Sessions being opened at once, per process.", valueName: "n"))
    var concurrency = 64

    func run() async throws {
        await runBenchmark(.connections, options) { spec in
            spec.connections = connections
            spec.hold = hold
            spec.connectConcurrency = concurrency
        }
    }
}

/// `ringway-bench fanout`.
struct Fanout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Event-stream subscribers and broadcasts; time until every subscriber has each broadcast.")

    @OptionGroup var options: CommonOptions

    @Option(help: ArgumentHelp("Event-stream subscribers.", valueName: "s"))
    var subscribers = 100

    @Option(help: ArgumentHelp("Broadcasts, spread over the duration.", valueName: "b"))
    var broadcasts = 10

    func run() async throws {
        await runBenchmark(.fanout, options) { spec in
            spec.subscribers = subscribers
            spec.broadcasts = broadcasts
        }
    }
}

/// `ringway-bench worker`: one share of a run, started by the tool itself.
struct Worker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Runs one share of a run (started by ringway-bench).", shouldDisplay: false)

    @Option(help: "The share, as JSON.")
    var share: String

    func run() async throws {
        let status = await BenchWorker.run(shareJSON: share)
        fflush(nil)
        Glibc.exit(status)
    }
}
