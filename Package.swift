// swift-tools-version:6.1
import PackageDescription

let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "ringway",
    products: [
        .library(name: "RingwayRuntime", targets: ["RingwayRuntime"]),
        .library(name: "RingwayHTTP", targets: ["RingwayHTTP"]),
        .library(name: "RingwayWebSocket", targets: ["RingwayWebSocket"]),
        .library(name: "RingwayJSON", targets: ["RingwayJSON"]),
        .library(name: "RingwayCrypto", targets: ["RingwayCrypto"]),
        .library(name: "RingwayEnvelope", targets: ["RingwayEnvelope"]),
        .library(name: "RingwayTLS", targets: ["RingwayTLS"]),
        .executable(name: "ringway-probe", targets: ["RingwayProbe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // C libraries, each behind an opaque header that includes only <stdint.h>/<stddef.h>:
        // a public header that pulls glibc into a Clang module breaks clean debug builds.
        .target(name: "CRingwayURing", linkerSettings: [.linkedLibrary("uring")]),
        .target(name: "CRingwaySodium", linkerSettings: [.linkedLibrary("sodium")]),
        .target(name: "CRingwayOpenSSL", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),

        // The runtime: io_uring event loops as Swift executors, sockets, timers.
        .target(
            name: "RingwayRuntime",
            dependencies: [
                "CRingwayURing", .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swift6
        ),

        // Sans-I/O protocol modules: bytes in, events and bytes out; none imports the runtime.
        .target(name: "RingwayHTTP", swiftSettings: swift6),
        .target(name: "RingwayWebSocket", dependencies: ["RingwayHTTP"], swiftSettings: swift6),
        .target(name: "RingwayJSON", swiftSettings: swift6),
        .target(name: "RingwayCrypto", dependencies: ["CRingwaySodium", "RingwayJSON"], swiftSettings: swift6),
        .target(name: "RingwayEnvelope", dependencies: ["RingwayJSON", "RingwayCrypto"], swiftSettings: swift6),
        .target(name: "RingwayTLS", dependencies: ["CRingwayOpenSSL"], swiftSettings: swift6),

        // Runtime measurements used by scripts/check-runtime.sh.
        .executableTarget(name: "RingwayProbe", dependencies: ["RingwayRuntime"], swiftSettings: swift6),

        .testTarget(name: "RingwayRuntimeTests", dependencies: ["RingwayRuntime"], swiftSettings: swift6),
        .testTarget(name: "RingwayHTTPTests", dependencies: ["RingwayHTTP"], swiftSettings: swift6),
        .testTarget(name: "RingwayWebSocketTests", dependencies: ["RingwayWebSocket", "RingwayHTTP"], swiftSettings: swift6),
        .testTarget(name: "RingwayJSONTests", dependencies: ["RingwayJSON"], swiftSettings: swift6),
        .testTarget(name: "RingwayCryptoTests", dependencies: ["RingwayCrypto", "RingwayJSON"], swiftSettings: swift6),
        .testTarget(
            name: "RingwayEnvelopeTests",
            dependencies: ["RingwayEnvelope", "RingwayCrypto", "RingwayJSON"],
            swiftSettings: swift6
        ),
        .testTarget(name: "RingwayTLSTests", dependencies: ["RingwayTLS"], swiftSettings: swift6),
    ]
)

// MARK: - ringwayd: the daemon (server library, executable, integration tests)
package.dependencies += [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
]
package.products += [
    .library(name: "RingwayServer", targets: ["RingwayServer"]),
    .executable(name: "ringwayd", targets: ["RingwayDaemon"]),
    .library(name: "RingwayClient", targets: ["RingwayClient"]),
    .executable(name: "ringway", targets: ["RingwayCLI"]),
]
package.targets += [
    // The server: configuration, node identity, TLS material, HTTP/1.1 over the runtime, routes.
    .target(
        name: "RingwayServer",
        dependencies: [
            "RingwayRuntime", "RingwayHTTP", "RingwayWebSocket", "RingwayTLS", "RingwayCrypto", "RingwayJSON",
            "RingwayEnvelope", .product(name: "Logging", package: "swift-log"),
            .product(name: "DequeModule", package: "swift-collections"),
        ],
        swiftSettings: swift6
    ),
    // The client: transports, authentication, sessions with reconnect and HTTP fallback.
    .target(
        name: "RingwayClient",
        dependencies: [
            "RingwayRuntime", "RingwayHTTP", "RingwayWebSocket", "RingwayTLS", "RingwayCrypto", "RingwayJSON",
            "RingwayEnvelope", .product(name: "DequeModule", package: "swift-collections"),
        ],
        swiftSettings: swift6
    ),
    // The `ringway` command: keygen, send, listen, peers.
    .executableTarget(
        name: "RingwayCLI",
        dependencies: [
            "RingwayClient", "RingwayServer", "RingwayRuntime", "RingwayCrypto", "RingwayEnvelope", "RingwayJSON", "RingwayTLS",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        swiftSettings: swift6
    ),
    // The `ringwayd` command: argument parsing and signals around RingwayServer.
    .executableTarget(
        name: "RingwayDaemon",
        dependencies: [
            "RingwayServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
    .testTarget(
        name: "RingwayServerTests",
        dependencies: [
            "RingwayServer", "RingwayClient", "RingwayRuntime", "RingwayHTTP", "RingwayWebSocket", "RingwayTLS", "RingwayCrypto",
            "RingwayJSON", "RingwayEnvelope",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
]
package.targets += [
    .testTarget(
        name: "RingwayClientTests",
        dependencies: ["RingwayClient", "RingwayRuntime"],
        swiftSettings: swift6
    ),
]

// MARK: - ringway-bench: load tests against any ringwayd
package.dependencies += [
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
]
package.products += [
    .library(name: "RingwayBenchKit", targets: ["RingwayBenchKit"]),
    .executable(name: "ringway-bench", targets: ["RingwayBench"]),
]
package.targets += [
    // The workloads, the worker processes and the report; a library so tests run it in-process.
    .target(
        name: "RingwayBenchKit",
        dependencies: [
            "RingwayClient", "RingwayServer", "RingwayRuntime", "RingwayCrypto", "RingwayEnvelope", "RingwayJSON", "RingwayTLS",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ],
        swiftSettings: swift6
    ),
    // The `ringway-bench` command: options, the daemon it starts, progress and the summary.
    .executableTarget(
        name: "RingwayBench",
        dependencies: [
            "RingwayBenchKit", "RingwayClient", "RingwayRuntime",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ],
        swiftSettings: swift6
    ),
    .testTarget(
        name: "RingwayBenchTests",
        dependencies: [
            "RingwayBenchKit", "RingwayServer", "RingwayClient", "RingwayRuntime",
            .product(name: "Logging", package: "swift-log"),
        ],
        swiftSettings: swift6
    ),
]
