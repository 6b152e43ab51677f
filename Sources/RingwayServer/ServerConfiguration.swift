import Logging
import RingwayHTTP
import RingwayRuntime

/// Everything `ringwayd` can be told, with the shipped defaults.
///
/// The defaults here are the embedded ones: the daemon starts with them when no configuration
/// file exists. `Config/ringwayd.json` repeats them (a test keeps the two equal), and
/// ``load(configFile:environment:defaultFile:)`` applies a file and then `RINGWAY_*` variables.
public struct ServerConfiguration: Sendable, Hashable {
    /// The address to listen on (`host:port`, numeric; port 0 picks a free port).
    public var listen: SocketAddress
    /// Whether to serve HTTPS/WSS. Plain HTTP is for loopback development and benchmarks.
    public var tls: Bool
    /// PEM certificate chain to present; nil creates (once) a self-signed one in the data directory.
    public var tlsCertificatePath: String?
    /// PEM private key of the certificate; required exactly when a certificate path is given.
    public var tlsPrivateKeyPath: String?
    /// Where the node key, the generated certificate and later the pinned keys live.
    public var dataDirectory: String
    /// The node's own entity id (`iss` of its tokens, `from_entity` of its envelopes).
    public var entityID: String
    /// Lifetime of issued tokens, in seconds.
    public var tokenTTLSeconds: Int
    /// JSON file mapping entity id to public key (base64url); nil pins each entity's first key
    /// (trust on first use) in the data directory.
    public var keysFile: String?
    /// Heartbeat interval announced to clients, in seconds.
    public var heartbeatIntervalSeconds: Int
    /// Largest envelope accepted, in bytes.
    public var maxMessageBytes: Int
    /// Accepted clock difference of envelope timestamps, in seconds (replay protection).
    public var replayWindowSeconds: Int
    /// Time a `/ws/v1/peers` client has between the upgrade and its HELLO.
    public var helloTimeout: Duration
    /// Messages held per recipient until it acknowledges them; one more is refused with `QUEUE_FULL`.
    public var queueMax: Int
    /// Seconds a held message waits for its recipient's `received` ACK before it expires (its
    /// sender then gets `ACK expired`).
    public var queueMaxAgeSeconds: Int
    /// JSON file saying which entities may connect and to whom each may send; nil allows every
    /// authenticated entity to reach every other.
    public var allowlistFile: String?
    /// Which inbound envelopes have their signature verified.
    public var verifySignatures: SignatureVerification
    /// Lowest level that is logged.
    public var logLevel: Logger.Level
    /// How log lines are written.
    public var logFormat: LogFormat
    /// Event loops (threads); 0 means one per online CPU.
    public var loopCount: Int
    /// Most connections served at once; further ones get `429 RATE_LIMITED` (plain HTTP) and are
    /// closed at once. 0 turns the limit off.
    public var maxConnections: Int
    /// Time allowed for the TLS handshake and for reading one request (head and body).
    public var requestTimeout: Duration
    /// Time an idle keep-alive connection is kept open between requests.
    public var idleTimeout: Duration
    /// Time allowed for a response to be taken by a client that has stopped reading.
    public var writeTimeout: Duration
    /// Most connections at once from one IP address; 0 turns the limit off.
    public var maxConnectionsPerIP: Int
    /// Authentication requests and WebSocket upgrades per second from one IP address (a token
    /// bucket holding one second's worth); 0 turns the limit off.
    public var handshakeRatePerIP: Int
    /// Messages per second one entity may send (token bucket refill); 0 turns the limit off.
    public var messageRatePerEntity: Int
    /// Messages one entity may send in a burst (token bucket size).
    public var messageBurstPerEntity: Int
    /// Envelope bytes per second one entity may send; 0 turns the limit off.
    public var byteRatePerEntity: Int
    /// Envelope bytes one entity may send in a burst; at least `maxMessageBytes`.
    public var byteBurstPerEntity: Int
    /// Time open connections get to finish when the daemon stops, before they are closed.
    public var shutdownGracePeriod: Duration
    /// On shutdown, the closes of the peer sessions are spread evenly over this period (at most
    /// the grace period; a longer one is cut to it), so that clients do not all reconnect in the same instant.
    public var shutdownDrainPeriod: Duration
    /// Limits on request lines, headers and bodies (`maxBodySize` is the default body limit).
    public var httpLimits: HTTPParserLimits

    /// The embedded defaults.
    public init(
        listen: SocketAddress = try! SocketAddress(host: "127.0.0.1", port: 8443),
        tls: Bool = true,
        tlsCertificatePath: String? = nil,
        tlsPrivateKeyPath: String? = nil,
        dataDirectory: String = "./.ringway",
        entityID: String = "ringway-node",
        tokenTTLSeconds: Int = 3600,
        keysFile: String? = nil,
        heartbeatIntervalSeconds: Int = 30,
        maxMessageBytes: Int = 65536,
        replayWindowSeconds: Int = 300,
        helloTimeout: Duration = .seconds(10),
        queueMax: Int = 1000,
        queueMaxAgeSeconds: Int = 3600,
        allowlistFile: String? = nil,
        verifySignatures: SignatureVerification = .all,
        logLevel: Logger.Level = .info,
        logFormat: LogFormat = .text,
        loopCount: Int = 0,
        maxConnections: Int = 16384,
        requestTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60),
        writeTimeout: Duration = .seconds(30),
        maxConnectionsPerIP: Int = 1024,
        handshakeRatePerIP: Int = 100,
        messageRatePerEntity: Int = 1000,
        messageBurstPerEntity: Int = 2000,
        byteRatePerEntity: Int = 16_777_216,
        byteBurstPerEntity: Int = 33_554_432,
        shutdownGracePeriod: Duration = .seconds(10),
        shutdownDrainPeriod: Duration = .seconds(5),
        httpLimits: HTTPParserLimits = HTTPParserLimits(
            maxRequestLineLength: 8192, maxHeaderBlockSize: 16384, maxHeaderCount: 100, maxBodySize: 65536)
    ) {
        self.listen = listen
        self.tls = tls
        self.tlsCertificatePath = tlsCertificatePath
        self.tlsPrivateKeyPath = tlsPrivateKeyPath
        self.dataDirectory = dataDirectory
        self.entityID = entityID
        self.tokenTTLSeconds = tokenTTLSeconds
        self.keysFile = keysFile
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.maxMessageBytes = maxMessageBytes
        self.replayWindowSeconds = replayWindowSeconds
        self.helloTimeout = helloTimeout
        self.queueMax = queueMax
        self.queueMaxAgeSeconds = queueMaxAgeSeconds
        self.allowlistFile = allowlistFile
        self.verifySignatures = verifySignatures
        self.logLevel = logLevel
        self.logFormat = logFormat
        self.loopCount = loopCount
        self.maxConnections = maxConnections
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.maxConnectionsPerIP = maxConnectionsPerIP
        self.handshakeRatePerIP = handshakeRatePerIP
        self.messageRatePerEntity = messageRatePerEntity
        self.messageBurstPerEntity = messageBurstPerEntity
        self.byteRatePerEntity = byteRatePerEntity
        self.byteBurstPerEntity = byteBurstPerEntity
        self.shutdownGracePeriod = shutdownGracePeriod
        self.shutdownDrainPeriod = shutdownDrainPeriod
        self.httpLimits = httpLimits
    }

    /// The loop count to start: ``loopCount``, or one per online CPU when it is 0.
    public var effectiveLoopCount: Int {
        loopCount > 0 ? loopCount : max(1, Int(onlineProcessorCount()))
    }

    /// The URL clients use, e.g. `https://127.0.0.1:8443` (with the port actually bound).
    public func baseURL(port: UInt16? = nil) -> String {
        let address = (try? SocketAddress(host: listen.host, port: port ?? listen.port)) ?? listen
        return (tls ? "https://" : "http://") + address.description
    }
}

/// The format of log lines.
public enum LogFormat: String, Sendable, Hashable, CaseIterable {
    /// `2024-01-01T00:00:00Z info ringwayd: message key=value`, for people.
    case text
    /// One JSON object per line, for log collectors.
    case json
}

/// Which inbound envelopes have their signature verified (`verify_signatures`).
public enum SignatureVerification: String, Sendable, Hashable, CaseIterable {
    /// Every envelope a client sends (the default).
    case all
    /// Only HELLO; later envelopes are trusted to come from the authenticated entity. For trusted
    /// networks: recipients can still verify end to end, but the server no longer refuses forged
    /// or corrupted envelopes itself.
    case hello
}
