import Foundation
import RingwayTLS

enum Fixtures {
    static let now = Int64(Date().timeIntervalSince1970)

    /// The embedded-default shape: localhost + 127.0.0.1, plus a name and an IPv6 address.
    static let localhost: SelfSignedCertificate = try! SelfSignedCertificate.generate(
        dnsNames: ["ringway.test"], ipAddresses: ["::1"], notBefore: now - 60)

    /// A different, unrelated certificate with the same names.
    static let other: SelfSignedCertificate = try! SelfSignedCertificate.generate(notBefore: now - 60)

    /// A fresh directory for files of one test.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ringway-tls-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Path of the `openssl` command line tool, if installed.
    static let opensslPath: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs the openssl tool and returns its standard output.
    static func openssl(_ arguments: [String], input: String? = nil) throws -> String? {
        guard let opensslPath else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: opensslPath)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Deterministic pseudo-random bytes (xorshift), for payloads and garbage input.
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state >> 24)
        }
    }
}
