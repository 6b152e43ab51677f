// swift-tools-version:6.1
import PackageDescription

// Microbenchmarks (ordo-one/benchmark). Its own package, so the main build and CI never compile
// the benchmark toolchain. Run: cd Benchmarks && swift package --disable-sandbox benchmark
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]
let plugins: [Target.PluginUsage] = [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
let benchmark: Target.Dependency = .product(name: "Benchmark", package: "benchmark")

func ringway(_ product: String) -> Target.Dependency { .product(name: product, package: "ringway") }

let package = Package(
    name: "ringway-benchmarks",
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "ringway", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "RuntimeBenchmarks",
            dependencies: [benchmark, ringway("RingwayRuntime")],
            path: "Benchmarks/RuntimeBenchmarks",
            swiftSettings: swift6,
            plugins: plugins
        ),
        .executableTarget(
            name: "WireHTTPBenchmarks",
            dependencies: [benchmark, ringway("RingwayHTTP"), ringway("RingwayWebSocket")],
            path: "Benchmarks/WireHTTPBenchmarks",
            swiftSettings: swift6,
            plugins: plugins
        ),
        .executableTarget(
            name: "WireEnvelopeBenchmarks",
            dependencies: [benchmark, ringway("RingwayCrypto"), ringway("RingwayEnvelope"), ringway("RingwayJSON")],
            path: "Benchmarks/WireEnvelopeBenchmarks",
            swiftSettings: swift6,
            plugins: plugins
        ),
        .executableTarget(
            name: "ServerBenchmarks",
            dependencies: [
                benchmark, ringway("RingwayServer"), ringway("RingwayCrypto"), ringway("RingwayEnvelope"), ringway("RingwayJSON"),
            ],
            path: "Benchmarks/ServerBenchmarks",
            swiftSettings: swift6,
            plugins: plugins
        ),
        .executableTarget(
            name: "WireTLSBenchmarks",
            dependencies: [benchmark, ringway("RingwayTLS")],
            path: "Benchmarks/WireTLSBenchmarks",
            swiftSettings: swift6,
            plugins: plugins
        ),
    ]
)
