import RingwayClient
import RingwayCrypto
import RingwayEnvelope

/// The four workloads.
public enum Workload: String, Codable, Sendable, CaseIterable {
    /// Connections in pairs, each sending to its partner at a fixed aggregate rate; one-way latency.
    case latency
    /// Pairs, each sender keeping a number of messages on their way to its partner; delivered msg/s.
    case throughput
    /// Authenticated sessions opened and held with heartbeats; successes, failures, server memory.
    case connections
    /// Event-stream subscribers and broadcasts; time until every subscriber has each broadcast.
    case fanout
}

/// How bench clients check the server's certificate (a `Codable` form of ``ClientTLSTrust``).
public enum BenchTrust: Codable, Sendable, Hashable {
    /// The system's trust store.
    case system
    /// Only this PEM certificate (the daemon's self-signed one).
    case certificate(pem: String)
    /// No verification (loopback development only).
    case insecure

    var clientTrust: ClientTLSTrust {
        switch self {
        case .system: .system
        case .certificate(let pem): .certificate(pem: pem)
        case .insecure: .insecureNoVerification
        }
    }
}

/// Everything one run is told: the workload, its parameters and the server.
public struct BenchSpec: Codable, Sendable, Hashable {
    /// What to run.
    public var workload: Workload
    /// The server URL (`ws://`, `wss://`, `http://`, `https://`).
    public var server: String
    /// How the server's certificate is checked.
    public var trust: BenchTrust = .system
    /// Size of each message's JSON payload, in bytes (padded; at least what the fields need).
    public var payloadBytes = 64
    /// Whether bench clients verify the signature of each received message.
    public var verifySignatures = true
    /// Seconds of sending (`latency`, `throughput`) or over which the broadcasts are spread (`fanout`).
    public var duration = 10.0
    /// Seconds allowed after the sending ends for ACKs and deliveries still on their way.
    public var drain = 3.0
    /// Seconds one connection may take to become ready.
    public var connectTimeout = 15.0
    /// `latency`: connections (even: they form pairs); `connections`: sessions to open.
    public var connections = 100
    /// `latency`: messages per second, over all connections.
    public var rate = 1_000
    /// `throughput`: sender → receiver pairs.
    public var pairs = 10
    /// `throughput`: messages each sender keeps sent and not yet received by its partner.
    public var inFlight = 8
    /// `connections`: seconds to hold the sessions once all are open.
    public var hold = 10.0
    /// `fanout`: event-stream subscribers.
    public var subscribers = 100
    /// `fanout`: broadcasts sent.
    public var broadcasts = 10
    /// Connections being opened at once, per process.
    public var connectConcurrency = 64
    /// Event loops per process.
    public var loops = 1
    /// Names this run's entities (`bench-<run>-<n>`) and tags its messages.
    public var runID: String

    /// A spec with the defaults and a fresh run id.
    public init(workload: Workload, server: String) {
        self.workload = workload
        self.server = server
        self.runID = SecureRandom.bytes(count: 4).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
        }.joined()
    }

    /// The things a run divides among processes: pairs, sessions or subscribers.
    public var units: Int {
        switch workload {
        case .latency: connections / 2
        case .throughput: pairs
        case .connections: connections
        case .fanout: subscribers
        }
    }

    /// Sockets one unit holds open.
    public var socketsPerUnit: Int {
        switch workload {
        case .latency, .throughput: 2
        case .connections, .fanout: 1
        }
    }

    /// Checks the parameters; the message names the option at fault.
    public func validate() throws(BenchError) {
        func require(_ condition: Bool, _ message: String) throws(BenchError) {
            if !condition { throw .invalidOption(message) }
        }
        try require(payloadBytes >= 0 && payloadBytes <= 16 << 20, "--payload-bytes must be between 0 and 16777216")
        try require(duration > 0, "--duration must be positive")
        try require(drain >= 0, "--drain must not be negative")
        try require(loops >= 1 && loops <= 64, "--loops must be between 1 and 64")
        try require(!runID.isEmpty && runID.count <= 16 && runID.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }, "the run id must be 1 to 16 letters or digits")
        switch workload {
        case .latency:
            try require(connections >= 2 && connections % 2 == 0, "--connections must be an even number, at least 2 (they form pairs)")
            try require(rate >= 1, "--rate must be at least 1")
        case .throughput:
            try require(pairs >= 1, "--pairs must be at least 1")
            try require(inFlight >= 1 && inFlight <= 1_000, "--in-flight must be between 1 and 1000 (the client's outbox)")
        case .connections:
            try require(connections >= 1, "--connections must be at least 1")
            try require(hold >= 0, "--hold must not be negative")
        case .fanout:
            try require(subscribers >= 1, "--subscribers must be at least 1")
            try require(broadcasts >= 1, "--broadcasts must be at least 1")
        }
    }

    /// The entity of unit connection `index`.
    func entity(_ index: Int) -> EntityID { EntityID("bench-\(runID)-\(index)")! }

    /// The entity that sends the `fanout` broadcasts.
    var broadcaster: EntityID { EntityID("bench-\(runID)-b")! }

    /// A client configuration for `entity` with `key` (a fresh one by default).
    func clientConfiguration(entity: EntityID, key: Ed25519PrivateKey = Ed25519PrivateKey()) -> RingwayClientConfiguration {
        RingwayClientConfiguration(
            server: server, credentials: StaticCredentials(Credentials(entityID: entity, key: key)),
            transport: .websocket, tls: trust.clientTrust, outboxLimit: 1_000, connectTimeout: seconds(connectTimeout),
            verifySignatures: verifySignatures)
    }
}

/// Why a run could not be done.
public enum BenchError: Error, Sendable, CustomStringConvertible {
    /// An option is out of range.
    case invalidOption(String)
    /// The daemon could not be started, or a worker process failed.
    case setup(String)

    public var description: String {
        switch self {
        case .invalidOption(let text): text
        case .setup(let text): text
        }
    }
}
