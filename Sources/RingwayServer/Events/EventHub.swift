import RingwayCrypto
import RingwayEnvelope

/// The `/ws/v1/events` subscribers and the fan-out of broadcasts and peer online/offline events.
public final class EventHub: Sendable {
    /// Creates a hub whose server events are signed by `serverKey` as `serverEntityID`.
    public init(serverEntityID: EntityID, serverKey: Ed25519PrivateKey, admission: Admission, metrics: ServerMetrics, clock: any UnixClock) {}

    /// Subscribers now.
    public var subscriberCount: Int { 0 }

    /// Writes a broadcast MESSAGE's bytes, unchanged, to every subscriber the sender may reach;
    /// one slow subscriber never delays the others. Returns the number of subscribers written to.
    public func broadcast(_ bytes: [UInt8], from sender: EntityID) async -> Int { 0 }

    /// Tells the subscribers that `entity` came online on `transport` (`websocket` or `http`).
    public func peerOnline(_ entity: EntityID, transport: String) {}

    /// Tells the subscribers that `entity` went offline.
    public func peerOffline(_ entity: EntityID) {}

    /// Server shutdown: closes every subscriber with 1001.
    public func shutdown() async {}
}
