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
        // The driver call and the helpers every target shares.
        .target(name: "FuzzSupport", dependencies: [fuzzDriver], swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(
            name: "FuzzHTTP",
            dependencies: ["FuzzSupport", .product(name: "RingwayHTTP", package: "ringway")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "FuzzWebSocket",
            dependencies: [
                "FuzzSupport",
                .product(name: "RingwayWebSocket", package: "ringway"),
                .product(name: "RingwayHTTP", package: "ringway"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .executableTarget(
            name: "FuzzEnvelope",
            dependencies: [
                "FuzzSupport",
                .product(name: "RingwayEnvelope", package: "ringway"),
                .product(name: "RingwayJSON", package: "ringway"),
                .product(name: "RingwayCrypto", package: "ringway"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
