import ArgumentParser
import Logging
import RingwayCrypto
import RingwayServer

#if canImport(Glibc)
import Glibc
#endif

/// `ringwayd`: the Ringway peer-messaging daemon.
@main
struct Ringwayd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ringwayd",
        abstract: "The Ringway peer-messaging daemon.",
        discussion: """
            Settings come from Config/ringwayd.json (or --config FILE), overridden by RINGWAY_* \
            environment variables; see Config/README.md.
            """,
        version: ServerVersion.current,
        subcommands: [Serve.self, Keygen.self, Version.self],
        defaultSubcommand: Serve.self
    )
}

/// `ringwayd serve`: runs the daemon until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the daemon (the default command).")

    @Option(name: .long, help: ArgumentHelp("Configuration file to read instead of Config/ringwayd.json.", valueName: "file"))
    var config: String?

    func run() async throws {
        let configuration: ServerConfiguration
        do {
            configuration = try ServerConfiguration.load(
                file: ServerConfiguration.configFile(explicit: config), environment: ProcessEnvironment.variables())
        } catch {
            printError("ringwayd: \(error)")
            throw ExitCode(2)
        }
        RingwayLogHandler.bootstrap(level: configuration.logLevel, format: configuration.logFormat)
        let logger = Logger(label: "ringwayd")
        // Installed before anything starts, so a signal during startup is not lost.
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT])

        let node: RingwayNode
        do {
            node = try await RingwayNode.start(configuration: configuration, logger: logger)
        } catch {
            printError("ringwayd: \(error)")
            throw ExitCode(1)
        }
        print("ringwayd \(ServerVersion.current) listening on \(node.url)")
        if let tls = node.tls {
            print("TLS certificate \(tls.certificatePath) SHA-256 fingerprint \(tls.fingerprint)")
        } else {
            print("warning: TLS is off (plain HTTP); use only on loopback or a trusted network")
        }
        fflush(nil)

        let received = await signals.next()
        logger.info("received \(SignalWatcher.name(of: received)); shutting down", metadata: [
            "grace_s": "\(configuration.shutdownGracePeriod.components.seconds)",
        ])
        // A second signal while stopping ends the process at once.
        signals.exitOnNextSignal(logger: logger)
        await node.shutdown()
    }
}

/// `ringwayd keygen`: writes a new node key file.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a new Ed25519 node key (a private JWK, mode 0600) and print its public key.")

    @Option(name: .long, help: ArgumentHelp("File to create; an existing file is never replaced.", valueName: "file"))
    var out: String

    func run() throws {
        let key = Ed25519PrivateKey()
        do {
            try NodeIdentity.write(key, to: out)
        } catch {
            printError("ringwayd: cannot write the key: \(error)")
            throw ExitCode(1)
        }
        print("wrote \(out)")
        print("public key: \(key.publicKey.base64URL)")
        print("kid: \(key.publicKey.jwkThumbprint)")
    }
}

/// `ringwayd version`.
struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version.")

    func run() {
        print("ringwayd \(ServerVersion.current) (wire contract \(ServerVersion.contract))")
    }
}

func printError(_ text: String) {
    fflush(nil)
    let bytes = Array((text + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
