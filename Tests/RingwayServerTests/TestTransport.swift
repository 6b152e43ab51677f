import RingwayClient
import RingwayRuntime
import RingwayTLS

/// Opens the test clients' byte streams with the client library's transport: plain TCP, or TLS
/// trusting `certificatePEM` and naming the server `serverName`.
enum TestTransport {
    static func open(
        _ address: SocketAddress, on loop: EventLoop, trusting certificatePEM: String?, serverName: String = "localhost",
        isolation: isolated (any Actor)? = #isolation
    ) async throws -> ClientTransport {
        let endpoint = ServerEndpoint(address: address, host: serverName, tls: certificatePEM != nil)
        let context = try certificatePEM.map { try TLSContext(configuration: .client(trustRoots: .certificates(.pem($0)))) }
        return try await ClientTransport.open(endpoint, tls: context, on: loop)
    }
}
