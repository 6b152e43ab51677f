// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets, one executable each; build and run them all with `Fuzz/run.sh <seconds>`.
// A separate package, so the main build never compiles with the fuzzer sanitizer.
let fuzzDriver: Target.Dependency = "CFuzzDriver"

let package = Package(
    name: "ringway-fuzz",
    dependencies: [
        .package(name: "ringway", path: ".."),
    ],
    targets: [
        // Declares libFuzzer's driver so that each fuzz executable can keep SwiftPM's own main.
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "FuzzHTTP",
            dependencies: [fuzzDriver, .product(name: "RingwayHTTP", package: "ringway")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "FuzzWebSocket",
            dependencies: [
                fuzzDriver,
                .product(name: "RingwayWebSocket", package: "ringway"),
                .product(name: "RingwayHTTP", package: "ringway"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "FuzzEnvelope",
            dependencies: [
                fuzzDriver,
                .product(name: "RingwayEnvelope", package: "ringway"),
                .product(name: "RingwayJSON", package: "ringway"),
                .product(name: "RingwayCrypto", package: "ringway"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
