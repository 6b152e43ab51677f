import Foundation
import Logging
import RingwayHTTP
import RingwayRuntime
import RingwayServer
import Testing

/// Loading order (embedded defaults < file < environment) and the one-line errors.
struct ConfigurationTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func write(_ text: String) throws -> String {
        let path = try temporaryDirectory() + "/ringwayd.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func loadError(file: String? = nil, _ environment: [String: String]) -> String? {
        do {
            _ = try ServerConfiguration.load(file: file, environment: environment)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func embeddedDefaultsApplyWithoutAFile() throws {
        let configuration = try ServerConfiguration.load(file: nil, environment: [:])
        #expect(configuration == ServerConfiguration())
        #expect(configuration.listen.description == "127.0.0.1:8443")
        #expect(configuration.tls)
        #expect(configuration.dataDirectory == "./.ringway")
        #expect(configuration.entityID == "ringway-node")
        #expect(configuration.heartbeatIntervalSeconds == 30)
        #expect(configuration.maxMessageBytes == 65536)
        #expect(configuration.replayWindowSeconds == 300)
        #expect(configuration.baseURL() == "https://127.0.0.1:8443")
    }

    @Test func shippedFileHoldsTheEmbeddedDefaults() throws {
        let file = Self.repositoryRoot + "/" + ServerConfiguration.defaultConfigFile
        #expect(try ServerConfiguration.load(file: file, environment: [:]) == ServerConfiguration())
    }

    @Test func everySettingIsShippedAndDocumented() throws {
        let shipped = try String(contentsOfFile: Self.repositoryRoot + "/Config/ringwayd.json", encoding: .utf8)
        let readme = try String(contentsOfFile: Self.repositoryRoot + "/Config/README.md", encoding: .utf8)
        for key in ServerConfiguration.settingKeys {
            #expect(shipped.contains("\"\(key)\""), "\(key) is missing from Config/ringwayd.json")
            #expect(readme.contains("`\(key)`"), "\(key) is not documented in Config/README.md")
            #expect(readme.contains("`RINGWAY_\(key.uppercased())`"), "RINGWAY_\(key.uppercased()) is not documented")
        }
    }

    @Test func readmeNamesEveryEnvironmentVariable() throws {
        let readme = try String(contentsOfFile: Self.repositoryRoot + "/README.md", encoding: .utf8)
        for key in ServerConfiguration.settingKeys {
            let variable = "RINGWAY_\(key.uppercased())"
            let listed = readme.contains("`\(variable)`")  // not in the #expect: it would print the README
            #expect(listed, "\(variable) is not listed in README.md")
        }
    }

    @Test func fileOverridesDefaultsAndEnvironmentOverridesTheFile() throws {
        let file = try write("""
            {"listen": "127.0.0.1:9000", "entity_id": "from-file", "tls": false, "loops": 3, "idle_timeout_s": 2.5}
            """)
        let configuration = try ServerConfiguration.load(
            file: file, environment: ["RINGWAY_ENTITY_ID": "from-env", "RINGWAY_TLS": "on", "HOME": "/root"])
        #expect(configuration.listen.port == 9000)
        #expect(configuration.entityID == "from-env")
        #expect(configuration.tls)
        #expect(configuration.loopCount == 3)
        #expect(configuration.idleTimeout == .milliseconds(2500))
        #expect(configuration.maxMessageBytes == 65536)
    }

    @Test func everyEnvironmentVariableIsRead() throws {
        let configuration = try ServerConfiguration.load(file: nil, environment: [
            "RINGWAY_LISTEN": "[::1]:0",
            "RINGWAY_TLS": "off",
            "RINGWAY_TLS_CERT": "/etc/cert.pem",
            "RINGWAY_TLS_KEY": "/etc/key.pem",
            "RINGWAY_DATA_DIR": "/var/lib/ringway",
            "RINGWAY_ENTITY_ID": "node.b_2",
            "RINGWAY_TOKEN_TTL_S": "600",
            "RINGWAY_KEYS_FILE": "/etc/ringway/keys.json",
            "RINGWAY_HEARTBEAT_INTERVAL_S": "10",
            "RINGWAY_MAX_MESSAGE_BYTES": "1024",
            "RINGWAY_REPLAY_WINDOW_S": "60",
            "RINGWAY_LOG_LEVEL": "debug",
            "RINGWAY_LOG_FORMAT": "json",
            "RINGWAY_LOOPS": "4",
            "RINGWAY_MAX_CONNECTIONS": "0",
            "RINGWAY_REQUEST_TIMEOUT_S": "3",
            "RINGWAY_IDLE_TIMEOUT_S": "0.5",
            "RINGWAY_WRITE_TIMEOUT_S": "7",
            "RINGWAY_SHUTDOWN_GRACE_S": "0",
            "RINGWAY_HTTP_MAX_REQUEST_LINE_BYTES": "4096",
            "RINGWAY_HTTP_MAX_HEADER_BYTES": "8192",
            "RINGWAY_HTTP_MAX_HEADERS": "50",
            "RINGWAY_HTTP_MAX_BODY_BYTES": "2048",
        ])
        #expect(configuration.listen == (try SocketAddress(host: "::1", port: 0)))
        #expect(!configuration.tls)
        #expect(configuration.tlsCertificatePath == "/etc/cert.pem")
        #expect(configuration.tlsPrivateKeyPath == "/etc/key.pem")
        #expect(configuration.dataDirectory == "/var/lib/ringway")
        #expect(configuration.entityID == "node.b_2")
        #expect(configuration.tokenTTLSeconds == 600)
        #expect(configuration.keysFile == "/etc/ringway/keys.json")
        #expect(configuration.heartbeatIntervalSeconds == 10)
        #expect(configuration.maxMessageBytes == 1024)
        #expect(configuration.replayWindowSeconds == 60)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .json)
        #expect(configuration.loopCount == 4)
        #expect(configuration.maxConnections == 0)
        #expect(configuration.requestTimeout == .seconds(3))
        #expect(configuration.idleTimeout == .milliseconds(500))
        #expect(configuration.writeTimeout == .seconds(7))
        #expect(configuration.shutdownGracePeriod == .zero)
        #expect(configuration.httpLimits == HTTPParserLimits(
            maxRequestLineLength: 4096, maxHeaderBlockSize: 8192, maxHeaderCount: 50, maxBodySize: 2048))
        #expect(configuration.baseURL() == "http://[::1]:0")
    }

    @Test func badEnvironmentValueIsOneLineNamingTheVariableTheValueAndWhatIsAllowed() throws {
        let message = try #require(loadError(["RINGWAY_LISTEN": "nowhere"]))
        #expect(message.contains("RINGWAY_LISTEN"))
        #expect(message.contains("\"nowhere\""))
        #expect(message.contains("host:port"))
        #expect(!message.contains("\n"))
    }

    @Test(arguments: [
        ("RINGWAY_TLS", "maybe", "on or off"),
        ("RINGWAY_TOKEN_TTL_S", "-5", "an integer from 1"),
        ("RINGWAY_MAX_MESSAGE_BYTES", "lots", "an integer from 256"),
        ("RINGWAY_HEARTBEAT_INTERVAL_S", "0", "an integer from 1 to 3600"),
        ("RINGWAY_REPLAY_WINDOW_S", "1.5", "an integer"),
        ("RINGWAY_LOG_LEVEL", "loud", "one of trace, debug, info, notice, warning, error, critical"),
        ("RINGWAY_LOG_FORMAT", "xml", "one of text, json"),
        ("RINGWAY_LOOPS", "1000", "an integer from 0 to 256"),
        ("RINGWAY_ENTITY_ID", "bad id", "1 to 64 characters"),
        ("RINGWAY_DATA_DIR", "", "a directory path"),
        ("RINGWAY_IDLE_TIMEOUT_S", "soon", "a number of seconds"),
        ("RINGWAY_LISTEN", "127.0.0.1:70000", "host:port"),
        ("RINGWAY_LISTEN", "example.com:80", "numeric"),
    ])
    func badEnvironmentValuesAreRefused(variable: String, value: String, allowed: String) throws {
        let message = try #require(loadError([variable: value]))
        #expect(message.hasPrefix("invalid setting \(variable)="))
        #expect(message.contains(allowed))
        #expect(!message.contains("\n"))
    }

    @Test func badFileValueNamesTheKeyAndTheFile() throws {
        let file = try write(#"{"max_message_bytes": "big"}"#)
        let message = try #require(loadError(file: file, [:]))
        #expect(message.contains("max_message_bytes in \(file)"))
        #expect(message.contains("\"big\""))
    }

    @Test func unknownFileKeyIsRefused() throws {
        let file = try write(#"{"listne": "127.0.0.1:1"}"#)
        let message = try #require(loadError(file: file, [:]))
        #expect(message.contains("unknown setting \"listne\""))
    }

    @Test func fileThatIsNotAJSONObjectIsRefused() throws {
        let truncated = loadError(file: try write("{\"listen\": "), [:])
        #expect(truncated?.contains("not valid JSON") == true)
        let array = loadError(file: try write("[1]"), [:])
        #expect(array?.contains("one JSON object") == true)
        let duplicate = loadError(file: try write(#"{"loops": 1, "loops": 2}"#), [:])
        #expect(duplicate?.contains("not valid JSON") == true)
    }

    @Test func missingExplicitFileIsReported() throws {
        let message = try #require(loadError(file: "/nonexistent/ringwayd.json", [:]))
        #expect(message.contains("/nonexistent/ringwayd.json"))
    }

    @Test func certificateWithoutKeyIsRefused() throws {
        let message = try #require(loadError(["RINGWAY_TLS_CERT": "/etc/cert.pem"]))
        #expect(message.contains("RINGWAY_TLS_KEY"))
    }

    @Test func unrelatedVariablesAreIgnored() throws {
        let configuration = try ServerConfiguration.load(
            file: nil, environment: ["RINGWAY_SERVER": "https://elsewhere", "RINGWAY_KEY": "/k", "PATH": "/bin"])
        #expect(configuration == ServerConfiguration())
    }

    @Test func explicitConfigFileWins() {
        #expect(ServerConfiguration.configFile(explicit: "/etc/ringwayd.json") == "/etc/ringwayd.json")
    }
}
