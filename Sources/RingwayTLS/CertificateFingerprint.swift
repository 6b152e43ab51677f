import CRingwayOpenSSL

/// Certificate fingerprints in the format `openssl x509 -noout -fingerprint -sha256` prints.
public enum CertificateFingerprint {
    /// The SHA-256 of the DER encoding of the first certificate in `pem`, as 32 uppercase hex
    /// pairs joined by colons (`AB:CD:…`).
    /// - Throws: ``TLSError/Kind/certificate`` when `pem` holds no readable certificate.
    public static func sha256(pem: String) throws(TLSError) -> String {
        var text = pem
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = text.withUTF8 { utf8 in
            rw_x509_sha256_fingerprint(utf8.baseAddress, utf8.count, &digest)
        }
        guard ok == 1 else {
            throw OpenSSLErrorQueue.error(.certificate, "computing a certificate fingerprint")
        }
        return colonHex(digest)
    }

    /// The SHA-256 fingerprint of the first certificate in the PEM file at `path`.
    public static func sha256(pemFile path: String) throws(TLSError) -> String {
        try sha256(pem: PEMFile.read(path))
    }

    static func colonHex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3)
        for (index, byte) in bytes.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ":")) }
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
