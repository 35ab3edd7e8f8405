// swift-tools-version: 6.2
// Benchmarks for Switchboard, kept out of the main package so `swift build` never builds them.
// Run: cd Benchmarks && swift package benchmark   (release build; see README.md)

import PackageDescription

/// One benchmark executable, in Benchmarks/NAME, measuring the product's modules.
func benchmarkTarget(_ name: String) -> Target {
    .executableTarget(
        name: name,
        dependencies: [
            .product(name: "Benchmark", package: "benchmark"),
            .product(name: "SwitchboardKit", package: "switchboard"),
            .product(name: "SwitchboardTestSupport", package: "switchboard"),
        ],
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "SwitchboardBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "switchboard", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: ["ProvidersBenchmarks", "GatewayBenchmarks", "AssistantBenchmarks", "ConsoleBenchmarks", "TelegramBenchmarks"].map(benchmarkTarget),
    swiftLanguageModes: [.v6]
)
