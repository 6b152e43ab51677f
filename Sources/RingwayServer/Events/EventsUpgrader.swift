import RingwayHTTP

/// `GET /ws/v1/events?entity_id=E&token=JWT` (contract: WebSocket endpoints): the server →
/// client stream of broadcasts and server events.
///
/// Refusals come before any upgrade, as on `/ws/v1/peers` (``AuthenticatedUpgrade``: 400/426,
/// 400, 429, 401), then 403 `FORBIDDEN` for an entity the allow-list does not let subscribe, and
/// 429 `RATE_LIMITED` (with `Retry-After`) for an entity that already holds
/// ``EventHub/maxSubscriptionsPerEntity`` subscriptions.
public struct EventsUpgrader: HTTPUpgrader {
    /// The hub of the node (authentication, admission, settings, and its ``EventHub``).
    public let hub: PeerHub

    /// Creates the upgrader.
    public init(hub: PeerHub) {
        self.hub = hub
    }

    public func upgrade(_ request: HTTPRequest, context: RequestContext) async -> UpgradeDecision {
        switch AuthenticatedUpgrade.check(request, context: context, hub: hub) {
        case .refused(let response):
            return .refuse(response)
        case .passed(let handshake, let entity):
            guard hub.admission.maySubscribe(entity.entityID) else {
                let refusal = AdmissionRefusal(code: .forbidden, message: "this entity may not subscribe to the events stream")
                return .refuse(AuthenticatedUpgrade.refusal(refusal, metrics: hub.metrics))
            }
            guard let slot = hub.events.reserveSlot(for: entity.entityID) else {
                let limit = hub.events.maxSubscriptionsPerEntity
                let refusal = AdmissionRefusal(
                    code: .rateLimited, message: "this entity already holds \(limit) event subscriptions",
                    retryAfterSeconds: hub.settings.heartbeatIntervalSeconds)
                return .refuse(AuthenticatedUpgrade.refusal(refusal, metrics: hub.metrics))
            }
            return .accept(AuthenticatedUpgrade.switchingHead(for: handshake), EventsUpgradedSession(slot: slot, hub: hub))
        }
    }
}

/// Runs an ``EventSubscriber`` on an accepted connection.
struct EventsUpgradedSession: UpgradedSession {
    let slot: SubscriptionSlot
    let hub: PeerHub

    func run(on stream: UpgradedStream, context: RequestContext, isolation: isolated any Actor) async {
        let subscriber = EventSubscriber(
            stream: LoopConfinedStream(stream), entity: slot.entity, hub: hub.events, slot: slot, settings: hub.settings,
            logger: context.logger)
        await subscriber.run()
    }
}
