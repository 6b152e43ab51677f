#if canImport(Glibc)
import Glibc
#endif
import RingwayCrypto
import RingwayEnvelope

/// Which transport a client uses.
public enum TransportPreference: String, Sendable, Hashable, CaseIterable {
    /// WebSocket when the server offers it and it works; HTTP otherwise, probing WebSocket again.
    case auto
    /// WebSocket only.
    case websocket
    /// HTTP fallback only.
    case http
}

/// The transport of a ready link.
public enum LinkTransport: String, Sendable, Hashable {
    case websocket
    case http
}

/// Exponential backoff with full jitter: before retry `n` (from 1), a random delay between 0 and
/// `min(maximum, initial × multiplier^(n-1))`.
public struct Backoff: Sendable, Hashable {
    /// The bound of the first delay.
    public var initial: Duration
    /// The largest bound.
    public var maximum: Duration
    /// Growth per attempt.
    public var multiplier: Double

    /// Creates a backoff policy.
    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(30), multiplier: Double = 2) {
        precondition(initial > .zero && maximum >= initial && multiplier >= 1, "backoff bounds must grow from a positive start")
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
    }

    /// The bound for attempt `attempt` (1-based).
    public func bound(attempt: Int) -> Duration {
        let initialSeconds = Double(initial.components.seconds) + Double(initial.components.attoseconds) * 1e-18
        let maximumSeconds = Double(maximum.components.seconds) + Double(maximum.components.attoseconds) * 1e-18
        let grown = initialSeconds * pow(multiplier, Double(max(0, min(attempt - 1, 60))))
        return .milliseconds(Int64(min(grown, maximumSeconds) * 1_000))
    }

    /// A random delay for attempt `attempt` (full jitter).
    public func delay(attempt: Int) -> Duration {
        let bound = self.bound(attempt: attempt)
        let milliseconds = bound.components.seconds * 1_000 + bound.components.attoseconds / 1_000_000_000_000_000
        return .milliseconds(milliseconds > 0 ? Int64.random(in: 0...milliseconds) : 0)
    }
}

/// Everything a ``RingwayClient`` can be told.
public struct RingwayClientConfiguration: Sendable {
    /// The server URL: `ws://`, `wss://`, `http://` or `https://`, host and port.
    public var server: String
    /// Who the client is; asked again on every authentication.
    public var credentials: any CredentialsProvider
    /// Which transport to use.
    public var transport: TransportPreference
    /// How the server's certificate is checked.
    public var tls: ClientTLSTrust
    /// Delays between reconnection attempts.
    public var backoff: Backoff
    /// Most messages waiting for the link plus sent and not yet acknowledged by the server; one
    /// more makes ``RingwayClient/send(to:payload:)`` throw at once.
    public var outboxLimit: Int
    /// Message ids remembered to drop redeliveries.
    public var dedupMemory: Int
    /// Consecutive WebSocket failures (with HTTP working) after which `auto` uses HTTP.
    public var websocketFailuresBeforeHTTP: Int
    /// While on HTTP in `auto`, how often WebSocket is tried again.
    public var websocketProbeInterval: Duration
    /// How long one HTTP poll waits on the server (0–30 s).
    public var pollWaitSeconds: Int
    /// Time allowed for connecting, authenticating and HELLO/READY, and for each HTTP request.
    public var connectTimeout: Duration
    /// A WebSocket from which nothing arrives for this many heartbeat intervals is declared dead.
    public var missedHeartbeats: Int
    /// Verify the signature of every received envelope: a message against its sender's key (from
    /// `/peers/discover`; an unverifiable one is not handed out), the server's own envelopes
    /// (ACK, ERROR, READY) against its key (from `/.well-known/jwks.json`; a bad one ends the
    /// link). Turning it off trusts the connection to the server (TLS, or a trusted network) and
    /// saves an Ed25519 verification (≈ 50 µs here) per received envelope.
    public var verifySignatures: Bool

    /// Creates a configuration with the defaults.
    public init(
        server: String, credentials: any CredentialsProvider, transport: TransportPreference = .auto,
        tls: ClientTLSTrust = .system, backoff: Backoff = Backoff(), outboxLimit: Int = 1_000, dedupMemory: Int = 16_384,
        websocketFailuresBeforeHTTP: Int = 3, websocketProbeInterval: Duration = .seconds(30), pollWaitSeconds: Int = 25,
        connectTimeout: Duration = .seconds(10), missedHeartbeats: Int = 2, verifySignatures: Bool = true
    ) {
        self.server = server
        self.credentials = credentials
        self.transport = transport
        self.tls = tls
        self.backoff = backoff
        self.outboxLimit = outboxLimit
        self.dedupMemory = dedupMemory
        self.websocketFailuresBeforeHTTP = websocketFailuresBeforeHTTP
        self.websocketProbeInterval = websocketProbeInterval
        self.pollWaitSeconds = pollWaitSeconds
        self.connectTimeout = connectTimeout
        self.missedHeartbeats = missedHeartbeats
        self.verifySignatures = verifySignatures
    }
}

/// Where a client's link stands.
public enum ConnectionState: Sendable, Hashable, CustomStringConvertible {
    /// Connecting and authenticating.
    case connecting
    /// Ready over a transport.
    case ready(LinkTransport)
    /// Waiting `delay` before attempt `attempt`.
    case reconnecting(attempt: Int, delay: Duration)
    /// Stopped: by ``RingwayClient/stop()`` (reason nil) or after a refusal it must not retry.
    case closed(reason: String?)

    public var description: String {
        switch self {
        case .connecting: "connecting"
        case .ready(let transport): "ready(\(transport.rawValue))"
        case .reconnecting(let attempt, let delay): "reconnecting(attempt \(attempt), in \(delay))"
        case .closed(let reason): "closed" + (reason.map { ": \($0)" } ?? "")
        }
    }
}

/// A message received from a peer, verified and not seen before.
public struct ReceivedMessage: Sendable {
    /// The envelope as decoded.
    public var envelope: Envelope
    /// The bytes exactly as the sender signed them.
    public var bytes: [UInt8]

    /// The sender.
    public var sender: EntityID { envelope.fromEntity }
    /// The message id.
    public var messageID: WireUUID { envelope.messageID }
}

/// What the server or a recipient later said about a message this client sent.
public struct DeliveryReport: Sendable, Hashable {
    /// The message.
    public var messageID: WireUUID
    /// `received` (the recipient confirmed it) or `expired` (it was not confirmed in time).
    public var status: AckStatus
    /// Who said so: the recipient, or the server.
    public var from: EntityID
}

/// One entry of `GET /peers/discover`.
public struct DiscoveredPeer: Sendable, Hashable {
    /// The peer.
    public var entityID: EntityID
    /// Its public key.
    public var publicKey: Ed25519PublicKey
    /// Whether it is connected or polling now.
    public var online: Bool
    /// How it is reachable, when online.
    public var transport: LinkTransport?
    /// Unix seconds it was last seen; nil when not seen since the server started.
    public var lastSeen: Int64?
}
