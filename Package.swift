// swift-tools-version:6.1
import PackageDescription

let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "ringway",
    products: [
        .library(name: "RingwayRuntime", targets: ["RingwayRuntime"]),
        .executable(name: "ringway-probe", targets: ["RingwayProbe"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // liburing behind an opaque header; see Sources/CRingwayURing/include/CRingwayURing.h.
        .target(
            name: "CRingwayURing",
            linkerSettings: [.linkedLibrary("uring")]
        ),
        .target(
            name: "RingwayRuntime",
            dependencies: [
                "CRingwayURing",
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swift6
        ),
        .executableTarget(
            name: "RingwayProbe",
            dependencies: ["RingwayRuntime"],
            swiftSettings: swift6
        ),
        .testTarget(
            name: "RingwayRuntimeTests",
            dependencies: ["RingwayRuntime"],
            swiftSettings: swift6
        ),
    ]
)
