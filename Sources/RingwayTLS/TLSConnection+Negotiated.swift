import CRingwayOpenSSL

// What the handshake settled on.
extension TLSConnection {
    /// The protocol version, once the handshake has completed.
    public var negotiatedVersion: TLSVersion? {
        TLSVersion(rawValue: UInt16(truncatingIfNeeded: rw_tls_conn_version(handle)))
    }

    /// The ALPN protocol the server selected, if any.
    public var negotiatedALPN: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        rw_tls_conn_alpn(handle, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The cipher suite (OpenSSL name, e.g. "TLS_AES_256_GCM_SHA384"), once negotiated.
    public var negotiatedCipherSuite: String? {
        guard isHandshakeComplete, let name = rw_tls_conn_cipher(handle) else { return nil }
        return String(cString: name)
    }

    /// The key exchange group (e.g. "x25519"), once negotiated.
    public var negotiatedGroup: String? {
        guard isHandshakeComplete, let name = rw_tls_conn_group(handle) else { return nil }
        return String(cString: name)
    }

    /// Servers: the host name the client sent as SNI.
    public var requestedServerName: String? {
        rw_tls_conn_server_name(handle).map { String(cString: $0) }
    }
}
