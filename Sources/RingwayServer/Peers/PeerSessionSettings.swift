/// Limits and timings of `/ws/v1/peers` sessions.
public struct PeerSessionSettings: Sendable, Hashable {
    /// Protocol versions spoken, in order of preference.
    public var protocolVersions: [String]
    /// Time allowed between the upgrade and HELLO, in milliseconds.
    public var helloTimeoutMilliseconds: Int64
    /// Seconds between heartbeats (READY's `heartbeat_interval_s`); silence for three intervals
    /// closes the session with 1008.
    public var heartbeatIntervalSeconds: Int
    /// Largest envelope accepted (READY's `max_message_bytes`); a larger message closes with 1009.
    public var maxMessageBytes: Int
    /// Seconds either side of server time an envelope's timestamp may be.
    public var replayWindowSeconds: Int
    /// Message ids remembered per sender for replay detection.
    public var replayMemory: Int
    /// Messages held per recipient until it acknowledges them; one more is refused with `QUEUE_FULL`.
    public var queueMax: Int
    /// Which envelopes have their signature verified: all, or only HELLO (`verify_signatures`).
    public var verifySignatures: SignatureVerification
    /// How often the sessions of each loop are checked for their timeouts (HELLO, silence,
    /// token expiry), in milliseconds: a timeout takes effect up to this much after it passes.
    public var timeoutSweepMilliseconds: Int64

    /// Creates settings; the defaults follow the contract.
    public init(
        protocolVersions: [String] = ["1.2"], helloTimeoutMilliseconds: Int64 = 10_000, heartbeatIntervalSeconds: Int = 30,
        maxMessageBytes: Int = 65_536, replayWindowSeconds: Int = 300, replayMemory: Int = 16_384,
        queueMax: Int = 1_000, verifySignatures: SignatureVerification = .all, timeoutSweepMilliseconds: Int64 = 1_000
    ) {
        self.protocolVersions = protocolVersions
        self.helloTimeoutMilliseconds = helloTimeoutMilliseconds
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.maxMessageBytes = maxMessageBytes
        self.replayWindowSeconds = replayWindowSeconds
        self.replayMemory = replayMemory
        self.queueMax = queueMax
        self.verifySignatures = verifySignatures
        self.timeoutSweepMilliseconds = max(1, timeoutSweepMilliseconds)
    }

    /// The settings `configuration` implies (HELLO timeout, heartbeat, message size, replay
    /// window, queue bound, signature checking).
    public init(configuration: ServerConfiguration) {
        let hello = configuration.helloTimeout.components
        self.init(
            helloTimeoutMilliseconds: hello.seconds * 1_000 + hello.attoseconds / 1_000_000_000_000_000,
            heartbeatIntervalSeconds: configuration.heartbeatIntervalSeconds, maxMessageBytes: configuration.maxMessageBytes,
            replayWindowSeconds: configuration.replayWindowSeconds, queueMax: configuration.queueMax,
            verifySignatures: configuration.verifySignatures)
    }

    /// Silence after which a ready session is closed: three heartbeat intervals, in milliseconds.
    public var silenceTimeoutMilliseconds: Int64 { Int64(heartbeatIntervalSeconds) * 3_000 }
}
