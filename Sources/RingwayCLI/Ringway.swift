import ArgumentParser
import Dispatch
import RingwayClient
import RingwayCrypto
import RingwayEnvelope
import RingwayJSON
import RingwayRuntime
import RingwayServer
import RingwayTLS

#if canImport(Glibc)
import Glibc
#endif

/// `ringway`: try the system by hand, or script it.
@main
struct Ringway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringway",
        abstract: "Send and receive Ringway messages from the command line.",
        subcommands: [Keygen.self, Send.self, Listen.self, Peers.self])
}

/// The options every networked command shares; each also comes from an environment variable.
struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Server URL: ws://, wss://, http:// or https://, host and port (RINGWAY_SERVER).", valueName: "url"))
    var server: String?

    @Option(help: ArgumentHelp("This entity's key file, from `ringway keygen` (RINGWAY_KEY).", valueName: "file"))
    var key: String?

    @Option(help: ArgumentHelp("This entity's id (RINGWAY_ENTITY).", valueName: "id"))
    var entity: String?

    @Option(help: ArgumentHelp("auto, websocket or http (RINGWAY_TRANSPORT).", valueName: "transport"))
    var transport: String?

    @Option(help: ArgumentHelp(
        "PEM certificate to trust for wss/https, e.g. the daemon's .ringway/tls-cert.pem (RINGWAY_CA).", valueName: "file"))
    var ca: String?

    @Flag(help: "Do not verify the server's certificate (loopback development only).")
    var insecure = false

    private func value(_ option: String?, _ variable: String) -> String? {
        option ?? ProcessInfoEnvironment.value(variable)
    }

    /// A started client on `loop`, or exit status 2 with one line naming what is missing.
    func makeClient(on loop: EventLoop) async throws -> RingwayClient {
        guard let server = value(server, "RINGWAY_SERVER") else { fail("--server (or RINGWAY_SERVER) is required") }
        guard let keyPath = value(key, "RINGWAY_KEY") else { fail("--key (or RINGWAY_KEY) is required") }
        guard let entityText = value(entity, "RINGWAY_ENTITY") else { fail("--entity (or RINGWAY_ENTITY) is required") }
        guard let entityID = EntityID(entityText) else { fail("--entity \(entityText): 1 to 64 characters from A-Z a-z 0-9 . _ -") }
        let transportText = value(transport, "RINGWAY_TRANSPORT") ?? "auto"
        guard let preference = TransportPreference(rawValue: transportText) else {
            fail("--transport \(transportText): expected auto, websocket or http")
        }
        let privateKey: Ed25519PrivateKey
        do {
            privateKey = try NodeIdentity.read(keyPath)
        } catch {
            fail("cannot read the key \(keyPath): \(error)", status: 1)
        }
        var trust = ClientTLSTrust.system
        if insecure {
            trust = .insecureNoVerification
        } else if let caPath = value(ca, "RINGWAY_CA") {
            do {
                trust = .certificate(pem: try PEMFile.read(caPath))
            } catch {
                fail("cannot read the certificate \(caPath): \(error)", status: 1)
            }
        }
        let configuration = RingwayClientConfiguration(
            server: server, credentials: StaticCredentials(Credentials(entityID: entityID, key: privateKey)),
            transport: preference, tls: trust)
        do {
            return try RingwayClient(configuration: configuration, loop: loop)
        } catch {
            fail("\(error)")
        }
    }
}

/// `ringway keygen --out FILE`.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a new Ed25519 key (mode 0600) and print its public key.")

    @Option(help: ArgumentHelp("File to create; an existing file is never replaced.", valueName: "file"))
    var out: String

    func run() throws {
        let key = Ed25519PrivateKey()
        do {
            try NodeIdentity.write(key, to: out)
        } catch {
            fail("cannot write the key: \(error)", status: 1)
        }
        print(key.publicKey.base64URL)
    }
}

/// `ringway send --to ENTITY MESSAGE`.
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send one message and print the server's answer (delivered or queued).")

    @OptionGroup var options: ClientOptions

    @Option(help: ArgumentHelp("The recipient entity, or * for a broadcast.", valueName: "entity"))
    var to: String

    @Option(help: ArgumentHelp("Seconds to wait for the server's answer.", valueName: "seconds"))
    var timeout: Int = 30

    @Argument(help: "A JSON object, or text (sent as {\"text\": …}).")
    var message: String

    func run() async throws {
        guard let recipient = Recipient(to) else { fail("--to \(to): an entity id or *") }
        let payload: JSONObject
        if let object = (try? JSONReader.parse(message))?.objectValue {
            payload = object
        } else {
            payload = ["text": .string(message)]
        }
        let group = try EventLoopGroup(loopCount: 1)
        let client = try await options.makeClient(on: group.loops[0])
        await client.start()
        let outcome: Result<AckStatus, any Error> = await withTaskGroup(of: Result<AckStatus, any Error>?.self) { tasks in
            tasks.addTask {
                do {
                    return .success(try await client.send(to: recipient, payload: payload))
                } catch {
                    return .failure(error)
                }
            }
            tasks.addTask {
                try? await Task.sleep(for: .seconds(timeout))
                return Task.isCancelled ? nil : .failure(ClientError.timedOut("no answer from the server within \(timeout) s"))
            }
            let first = await tasks.next() ?? nil
            tasks.cancelAll()
            return first ?? .failure(ClientError.timedOut("no answer"))
        }
        await client.stop()
        await group.shutdown()
        switch outcome {
        case .success(let status):
            print(status.rawValue)
        case .failure(let error):
            fail("\(error)", status: 1)
        }
    }
}

/// `ringway listen [--count N]`.
struct Listen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print each received envelope as one JSON line and acknowledge it, until interrupted or N are printed.")

    @OptionGroup var options: ClientOptions

    @Option(help: ArgumentHelp("Stop after this many messages.", valueName: "n"))
    var count: Int?

    func run() async throws {
        if let count, count < 1 { fail("--count must be at least 1") }
        let group = try EventLoopGroup(loopCount: 1)
        let client = try await options.makeClient(on: group.loops[0])
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: DispatchQueue(label: "ringway.signals"))
        signal(SIGINT, SIG_IGN)
        interrupt.setEventHandler { Task { await client.stop() } }
        interrupt.resume()
        // Connection changes go to standard error, so scripts read only envelopes on standard output.
        let states = client.states
        let reporter = Task {
            for await state in states { printError("ringway: \(state)") }
        }
        await client.start()
        var printed = 0
        for await message in client.messages {
            print(String(decoding: message.bytes, as: UTF8.self))
            fflush(nil)
            printed += 1
            if let count, printed >= count { break }
        }
        let finalState = await client.state
        await client.stop()
        reporter.cancel()
        await group.shutdown()
        if case .closed(let reason?) = finalState, count.map({ printed < $0 }) ?? true {
            fail(reason, status: 1)
        }
    }
}

/// `ringway peers`.
struct Peers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the peers this entity may reach.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let group = try EventLoopGroup(loopCount: 1)
        let client = try await options.makeClient(on: group.loops[0])
        let peers: [DiscoveredPeer]
        do {
            peers = try await client.discover()
        } catch {
            await group.shutdown()
            fail("\(error)", status: 1)
        }
        await group.shutdown()
        var rows = [["ENTITY", "ONLINE", "TRANSPORT", "LAST SEEN", "PUBLIC KEY"]]
        for peer in peers {
            rows.append([
                peer.entityID.rawValue, peer.online ? "yes" : "no", peer.transport?.rawValue ?? "-",
                peer.lastSeen.map(String.init) ?? "-", peer.publicKey.base64URL,
            ])
        }
        let widths = (0..<5).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }.joined(separator: "  "))
        }
    }
}

/// Reads the process environment.
enum ProcessInfoEnvironment {
    static func value(_ name: String) -> String? {
        guard let pointer = getenv(name) else { return nil }
        let text = String(cString: pointer)
        return text.isEmpty ? nil : text
    }
}

func printError(_ text: String) {
    fflush(nil)
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// Prints `ringway: message` on standard error and exits with `status`.
func fail(_ message: String, status: Int32 = 2) -> Never {
    printError("ringway: \(message)")
    exit(status)
}
