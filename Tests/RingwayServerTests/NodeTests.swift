import Foundation
import RingwayRuntime
import RingwayServer
import RingwayTLS
import Testing

/// The assembled daemon as `ringwayd serve` runs it.
@Suite(.timeLimit(.minutes(1)))
struct NodeTests {
    @Test func startsWithTLSByDefaultAndReusesKeyAndCertificateOnRestart() async throws {
        var configuration = try ServerConfiguration.load(file: nil, environment: [
            "RINGWAY_LISTEN": "127.0.0.1:0",
            "RINGWAY_DATA_DIR": try temporaryDirectory() + "/data",
            "RINGWAY_LOOPS": "1",
        ])
        configuration.shutdownGracePeriod = .seconds(5)
        let output = LogOutput.memory()
        let logger = RingwayLogHandler.logger(level: .info, format: .text, output: output)
        let clients = try EventLoopGroup(loopCount: 1)
        defer { clients.syncShutdown() }

        let first = try await RingwayNode.start(configuration: configuration, logger: logger)
        let material = try #require(first.tls)
        #expect(material.generated)
        #expect(first.identity.created)
        #expect(first.url == "https://127.0.0.1:\(first.localAddress.port)")
        #expect(output.lines.contains { $0.contains("created a self-signed TLS certificate") && $0.contains(material.fingerprint) })
        let pem = try PEMFile.read(material.certificatePath)
        let client = try await TestClient.connect(to: first.localAddress, on: clients.loops[0], trusting: pem)
        #expect(try await client.request(.get, "/healthz").status == 200)
        await client.close()
        await first.shutdown()

        let second = try await RingwayNode.start(configuration: configuration, logger: logger)
        #expect(second.tls?.generated == false)
        #expect(second.tls?.fingerprint == material.fingerprint)
        #expect(second.identity.created == false)
        #expect(second.identity.publicKey == first.identity.publicKey)
        await second.shutdown()
    }

    @Test func nodeShutdownSendsByeAndClose1001ToPeerSessions() async throws {
        let configuration = try ServerConfiguration.load(file: nil, environment: [
            "RINGWAY_TLS": "off",
            "RINGWAY_LISTEN": "127.0.0.1:0",
            "RINGWAY_DATA_DIR": try temporaryDirectory() + "/data",
            "RINGWAY_LOOPS": "2",
            "RINGWAY_ENTITY_ID": "hub",
        ])
        let output = LogOutput.memory()
        let node = try await RingwayNode.start(
            configuration: configuration, logger: RingwayLogHandler.logger(level: .info, format: .text, output: output))
        let clients = try EventLoopGroup(loopCount: 1)
        defer { clients.syncShutdown() }
        let (peer, _) = try await PeerClient.connect(address: node.localAddress, loop: clients.loops[0], entity: "alice")
        #expect(node.peers.sessionCount == 1)
        async let stopped: Void = node.shutdown()
        let bye = try await peer.nextEnvelope()
        #expect(bye.type == .bye)
        #expect(bye.fromEntity.rawValue == "hub")
        guard case .close(1001, _) = try await peer.next() else {
            Issue.record("expected close 1001")
            await stopped
            return
        }
        await stopped
        await peer.close()
        #expect(node.peers.sessionCount == 0)
    }

    @Test func plainHTTPWhenTLSIsOffWithAWarning() async throws {
        let configuration = try ServerConfiguration.load(file: nil, environment: [
            "RINGWAY_TLS": "off",
            "RINGWAY_LISTEN": "127.0.0.1:0",
            "RINGWAY_DATA_DIR": try temporaryDirectory() + "/data",
            "RINGWAY_LOOPS": "1",
        ])
        let output = LogOutput.memory()
        let node = try await RingwayNode.start(
            configuration: configuration, logger: RingwayLogHandler.logger(level: .info, format: .text, output: output))
        #expect(node.tls == nil)
        #expect(node.url.hasPrefix("http://127.0.0.1:"))
        #expect(output.lines.contains { $0.contains(" warning ") && $0.contains("TLS is off") })
        let clients = try EventLoopGroup(loopCount: 1)
        defer { clients.syncShutdown() }
        let client = try await TestClient.connect(to: node.localAddress, on: clients.loops[0])
        #expect(try await client.request(.get, "/healthz").status == 200)
        await client.close()
        await node.shutdown()
        #expect(!FileManager.default.fileExists(atPath: configuration.dataDirectory + "/tls-cert.pem"))
    }

    @Test func invalidKeysFileIsAStartupErrorNamingIt() async throws {
        let directory = try temporaryDirectory()
        let keysFile = directory + "/keys.json"
        try #"{"sensor-7":"too-short"}"#.write(toFile: keysFile, atomically: true, encoding: .utf8)
        let configuration = try ServerConfiguration.load(file: nil, environment: [
            "RINGWAY_TLS": "off",
            "RINGWAY_LISTEN": "127.0.0.1:0",
            "RINGWAY_DATA_DIR": directory + "/data",
            "RINGWAY_LOOPS": "1",
            "RINGWAY_KEYS_FILE": keysFile,
        ])
        let logger = RingwayLogHandler.logger(level: .critical, format: .text, output: .memory())
        let error = await #expect(throws: StartupError.self) {
            _ = try await RingwayNode.start(configuration: configuration, logger: logger)
        }
        #expect(error?.description.contains(keysFile) == true)
        #expect(error?.description.contains("sensor-7") == true)
    }

    @Test func addressInUseIsAStartupError() async throws {
        var configuration = ServerConfiguration()
        configuration.tls = false
        configuration.listen = try SocketAddress(host: "127.0.0.1", port: 0)
        configuration.dataDirectory = try temporaryDirectory()
        configuration.loopCount = 1
        let logger = RingwayLogHandler.logger(level: .critical, format: .text, output: .memory())
        let first = try await RingwayNode.start(configuration: configuration, logger: logger)
        configuration.listen = first.localAddress
        let error = await #expect(throws: StartupError.self) {
            _ = try await RingwayNode.start(configuration: configuration, logger: logger)
        }
        #expect(error?.description.contains("EADDRINUSE") == true)
        await first.shutdown()
    }
}
