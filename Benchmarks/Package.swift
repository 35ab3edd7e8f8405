// swift-tools-version: 6.2
// Benchmarks for Switchboard, kept out of the main package so `swift build` never builds them.
// Run: cd Benchmarks && swift package benchmark   (release build; see README.md)

import PackageDescription

let package = Package(
    name: "SwitchboardBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "switchboard", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ProvidersBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwitchboardKit", package: "switchboard"),
                .product(name: "SwitchboardTestSupport", package: "switchboard"),
            ],
            path: "Benchmarks/ProvidersBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "GatewayBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwitchboardKit", package: "switchboard"),
                .product(name: "SwitchboardTestSupport", package: "switchboard"),
            ],
            path: "Benchmarks/GatewayBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "AssistantBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwitchboardKit", package: "switchboard"),
                .product(name: "SwitchboardTestSupport", package: "switchboard"),
            ],
            path: "Benchmarks/AssistantBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
