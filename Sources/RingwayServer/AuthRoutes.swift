import RingwayHTTP

/// `GET /auth/token` and `POST /auth/verify` over an ``AuthService``.
public enum AuthRoutes {
    /// The challenge path.
    public static let tokenPath = "/auth/token"
    /// The verify path.
    public static let verifyPath = "/auth/verify"

    /// Adds the authentication routes to `router`.
    public static func add(to router: inout Router, auth: AuthService) {
        router.add(.get, tokenPath, maxBodyBytes: 0) { request, context in
            try checkRate(auth, context)
            let parameters: QueryParameters
            do {
                parameters = try request.head.queryParameters()
            } catch {
                throw HTTPResponseError(AuthFailure.malformed("the query string cannot be decoded").response)
            }
            guard let entityID = parameters["entity_id"], let publicKey = parameters["pubkey"] else {
                throw HTTPResponseError(AuthFailure.malformed("entity_id and pubkey are required").response)
            }
            do throws(AuthFailure) {
                let challenge = try auth.challenge(entityID: entityID, publicKey: publicKey, now: auth.clock.unixSeconds())
                var response = HTTPResponse.json(AuthService.encode(challenge))
                response.headers.add(name: "Cache-Control", value: "no-store")
                return response
            } catch {
                throw HTTPResponseError(error.response)
            }
        }

        router.add(.post, verifyPath, maxBodyBytes: auth.limits.maxVerifyBodyBytes) { request, context in
            try checkRate(auth, context)
            do throws(AuthFailure) {
                let issued = try auth.verify(body: request.body, now: auth.clock.unixSeconds())
                // The token itself is a credential: log who got one, never the token.
                if issued.pinnedNow {
                    context.logger.notice("pinned a key on first use", metadata: [
                        "entity_id": "\(issued.claims.subject)",
                        "public_key": "\(issued.claims.publicKey)",
                    ])
                }
                context.logger.info("issued a token", metadata: [
                    "entity_id": "\(issued.claims.subject)",
                    "expires_at": "\(issued.expiresAt)",
                ])
                var response = HTTPResponse.json(AuthService.encode(issued))
                response.headers.add(name: "Cache-Control", value: "no-store")
                return response
            } catch {
                context.logger.info("authentication refused", metadata: ["code": "\(error.code.rawValue)"])
                throw HTTPResponseError(error.response)
            }
        }
    }

    /// The handshake rate of the client's address: `429 RATE_LIMITED` with `Retry-After`.
    private static func checkRate(_ auth: AuthService, _ context: RequestContext) throws(HTTPResponseError) {
        let now = Int64(auth.clock.unixMilliseconds())
        if let refusal = auth.admission.admitHandshake(from: context.remoteAddress, now: now) {
            throw HTTPResponseError(refusal.response)
        }
    }
}
