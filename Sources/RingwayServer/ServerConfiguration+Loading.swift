import Logging
import RingwayEnvelope
import RingwayJSON
import RingwayRuntime

/// One setting: its key in the configuration file, its environment variable
/// (`RINGWAY_` + the key in upper case) and how a value is applied.
struct ConfigurationSetting: Sendable {
    /// The key in `ringwayd.json`.
    let key: String
    /// Applies a raw value, or explains what is allowed.
    let apply: @Sendable (inout ServerConfiguration, SettingValue) throws(SettingProblem) -> Void

    /// The environment variable that overrides the file.
    var environmentName: String { "RINGWAY_" + key.uppercased() }
}

extension ServerConfiguration {
    /// The shipped defaults file, relative to the working directory (the repository root).
    public static let defaultConfigFile = "Config/ringwayd.json"

    /// Largest configuration file read.
    static let maxConfigFileBytes = 1 << 20

    /// Every setting, in the order `Config/README.md` documents them.
    static let settings: [ConfigurationSetting] = [
        ConfigurationSetting(key: "listen") { config, value throws(SettingProblem) in
            let allowed = "host:port with a numeric IPv4 address, [IPv6] address or localhost, and a port from 0 to 65535"
            let text = try SettingParse.nonEmptyString(value, allowed: allowed)
            guard let address = try? SocketAddress(parsing: text.trimmingASCIIWhitespace()) else {
                throw SettingProblem(allowed: allowed)
            }
            config.listen = address
        },
        ConfigurationSetting(key: "tls") { config, value throws(SettingProblem) in
            config.tls = try SettingParse.onOff(value)
        },
        ConfigurationSetting(key: "tls_cert") { config, value throws(SettingProblem) in
            config.tlsCertificatePath = try SettingParse.optionalPath(value, allowed: "a path to a PEM certificate chain, or null")
        },
        ConfigurationSetting(key: "tls_key") { config, value throws(SettingProblem) in
            config.tlsPrivateKeyPath = try SettingParse.optionalPath(value, allowed: "a path to a PEM private key, or null")
        },
        ConfigurationSetting(key: "data_dir") { config, value throws(SettingProblem) in
            config.dataDirectory = try SettingParse.nonEmptyString(value, allowed: "a directory path")
        },
        ConfigurationSetting(key: "entity_id") { config, value throws(SettingProblem) in
            let allowed = "1 to 64 characters from A-Z a-z 0-9 . _ -"
            let text = try SettingParse.string(value, allowed: allowed)
            guard EntityID(text) != nil else { throw SettingProblem(allowed: allowed) }
            config.entityID = text
        },
        ConfigurationSetting(key: "token_ttl_s") { config, value throws(SettingProblem) in
            config.tokenTTLSeconds = try SettingParse.integer(value, in: 1...2_592_000)
        },
        ConfigurationSetting(key: "keys_file") { config, value throws(SettingProblem) in
            config.keysFile = try SettingParse.optionalPath(
                value, allowed: "a path to a JSON object mapping entity ids to public keys, or null")
        },
        ConfigurationSetting(key: "heartbeat_interval_s") { config, value throws(SettingProblem) in
            config.heartbeatIntervalSeconds = try SettingParse.integer(value, in: 1...3600)
        },
        ConfigurationSetting(key: "max_message_bytes") { config, value throws(SettingProblem) in
            config.maxMessageBytes = try SettingParse.integer(value, in: 256...16_777_216)
        },
        ConfigurationSetting(key: "replay_window_s") { config, value throws(SettingProblem) in
            config.replayWindowSeconds = try SettingParse.integer(value, in: 1...86400)
        },
        ConfigurationSetting(key: "hello_timeout_s") { config, value throws(SettingProblem) in
            config.helloTimeout = .seconds(try SettingParse.integer(value, in: 1...300))
        },
        ConfigurationSetting(key: "queue_max") { config, value throws(SettingProblem) in
            config.queueMax = try SettingParse.integer(value, in: 1...1_000_000)
        },
        ConfigurationSetting(key: "queue_max_age_s") { config, value throws(SettingProblem) in
            config.queueMaxAgeSeconds = try SettingParse.integer(value, in: 1...2_592_000)
        },
        ConfigurationSetting(key: "allowlist_file") { config, value throws(SettingProblem) in
            config.allowlistFile = try SettingParse.optionalPath(value, allowed: "a path to a JSON allow-list, or null")
        },
        ConfigurationSetting(key: "verify_signatures") { config, value throws(SettingProblem) in
            config.verifySignatures = try SettingParse.choice(value, SignatureVerification.allCases.map { ($0.rawValue, $0) })
        },
        ConfigurationSetting(key: "log_level") { config, value throws(SettingProblem) in
            config.logLevel = try SettingParse.choice(value, Logger.Level.allCases.map { ($0.rawValue, $0) })
        },
        ConfigurationSetting(key: "log_format") { config, value throws(SettingProblem) in
            config.logFormat = try SettingParse.choice(value, LogFormat.allCases.map { ($0.rawValue, $0) })
        },
        ConfigurationSetting(key: "loops") { config, value throws(SettingProblem) in
            config.loopCount = try SettingParse.integer(value, in: 0...256)
        },
        ConfigurationSetting(key: "max_connections") { config, value throws(SettingProblem) in
            config.maxConnections = try SettingParse.integer(value, in: 0...1_000_000)
        },
        ConfigurationSetting(key: "max_connections_per_ip") { config, value throws(SettingProblem) in
            config.maxConnectionsPerIP = try SettingParse.integer(value, in: 0...1_000_000)
        },
        ConfigurationSetting(key: "handshake_rate_per_ip") { config, value throws(SettingProblem) in
            config.handshakeRatePerIP = try SettingParse.integer(value, in: 0...1_000_000)
        },
        ConfigurationSetting(key: "msg_rate_per_entity") { config, value throws(SettingProblem) in
            config.messageRatePerEntity = try SettingParse.integer(value, in: 0...10_000_000)
        },
        ConfigurationSetting(key: "msg_burst_per_entity") { config, value throws(SettingProblem) in
            config.messageBurstPerEntity = try SettingParse.integer(value, in: 1...100_000_000)
        },
        ConfigurationSetting(key: "byte_rate_per_entity") { config, value throws(SettingProblem) in
            config.byteRatePerEntity = try SettingParse.integer(value, in: 0...(1 << 40))
        },
        ConfigurationSetting(key: "byte_burst_per_entity") { config, value throws(SettingProblem) in
            config.byteBurstPerEntity = try SettingParse.integer(value, in: 256...(1 << 42))
        },
        ConfigurationSetting(key: "request_timeout_s") { config, value throws(SettingProblem) in
            config.requestTimeout = try SettingParse.seconds(value, in: 0.01...3600)
        },
        ConfigurationSetting(key: "idle_timeout_s") { config, value throws(SettingProblem) in
            config.idleTimeout = try SettingParse.seconds(value, in: 0.01...86400)
        },
        ConfigurationSetting(key: "write_timeout_s") { config, value throws(SettingProblem) in
            config.writeTimeout = try SettingParse.seconds(value, in: 0.01...3600)
        },
        ConfigurationSetting(key: "shutdown_grace_s") { config, value throws(SettingProblem) in
            config.shutdownGracePeriod = try SettingParse.seconds(value, in: 0...3600)
        },
        ConfigurationSetting(key: "shutdown_drain_s") { config, value throws(SettingProblem) in
            config.shutdownDrainPeriod = try SettingParse.seconds(value, in: 0...3600)
        },
        ConfigurationSetting(key: "http_max_request_line_bytes") { config, value throws(SettingProblem) in
            config.httpLimits.maxRequestLineLength = try SettingParse.integer(value, in: 256...1_048_576)
        },
        ConfigurationSetting(key: "http_max_header_bytes") { config, value throws(SettingProblem) in
            config.httpLimits.maxHeaderBlockSize = try SettingParse.integer(value, in: 1024...1_048_576)
        },
        ConfigurationSetting(key: "http_max_headers") { config, value throws(SettingProblem) in
            config.httpLimits.maxHeaderCount = try SettingParse.integer(value, in: 1...1000)
        },
        ConfigurationSetting(key: "http_max_body_bytes") { config, value throws(SettingProblem) in
            config.httpLimits.maxBodySize = try SettingParse.integer(value, in: 0...67_108_864)
        },
    ]

    /// Every key of the configuration file; each has the environment variable `RINGWAY_` + the
    /// key in upper case.
    public static var settingKeys: [String] { settings.map(\.key) }

    /// The configuration file to read: `explicit` when given, else ``defaultConfigFile`` when it
    /// exists in the working directory, else none (the embedded defaults apply).
    public static func configFile(explicit: String?) -> String? {
        if let explicit { return explicit }
        return FileSystem.exists(defaultConfigFile) ? defaultConfigFile : nil
    }

    /// The embedded defaults, overridden by `file` (when given) and then by the `RINGWAY_*`
    /// variables of `environment`. Unknown keys in the file are refused (they are usually typos);
    /// unknown `RINGWAY_*` variables are ignored (other Ringway commands read some).
    /// - Throws: ``ConfigurationError`` naming the first setting that is wrong.
    public static func load(file: String?, environment: [String: String]) throws(ConfigurationError) -> ServerConfiguration {
        var config = ServerConfiguration()
        if let file {
            try config.apply(file: file)
        }
        for setting in settings {
            guard let text = environment[setting.environmentName] else { continue }
            do throws(SettingProblem) {
                try setting.apply(&config, .text(text))
            } catch {
                throw .invalid(setting.environmentName, value: text, allowed: error.allowed)
            }
        }
        try config.validate()
        return config
    }

    private mutating func apply(file: String) throws(ConfigurationError) {
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.readFile(file, maxBytes: Self.maxConfigFileBytes)
        } catch {
            throw ConfigurationError("cannot read configuration file \(file): \(error)")
        }
        let document: JSONValue
        do {
            document = try JSONReader.parse(bytes)
        } catch {
            throw ConfigurationError("configuration file \(file) is not valid JSON: \(error)")
        }
        guard let object = document.objectValue else {
            throw ConfigurationError("configuration file \(file) must hold one JSON object of settings")
        }
        for member in object.members {
            guard let setting = Self.settings.first(where: { $0.key == member.name }) else {
                let known = Self.settings.map(\.key).joined(separator: ", ")
                throw ConfigurationError("unknown setting \"\(member.name)\" in \(file); known settings: \(known)")
            }
            let value = SettingValue(member.value)
            do throws(SettingProblem) {
                try setting.apply(&self, value)
            } catch {
                throw .invalid("\(member.name) in \(file)", value: value.display, allowed: error.allowed)
            }
        }
    }

    /// Checks that hold across settings.
    func validate() throws(ConfigurationError) {
        if byteRatePerEntity > 0, byteBurstPerEntity < maxMessageBytes {
            throw ConfigurationError(
                "byte_burst_per_entity (RINGWAY_BYTE_BURST_PER_ENTITY) must be at least max_message_bytes "
                    + "(RINGWAY_MAX_MESSAGE_BYTES), or a largest message could never be sent")
        }
        if (tlsCertificatePath == nil) != (tlsPrivateKeyPath == nil) {
            throw ConfigurationError(
                "tls_cert (RINGWAY_TLS_CERT) and tls_key (RINGWAY_TLS_KEY) must be set together: "
                    + "both for a certificate of your own, neither for the generated self-signed one")
        }
    }
}
