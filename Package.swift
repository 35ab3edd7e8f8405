// swift-tools-version: 6.2
// Switchboard: a Telegram bot backed by OpenAI, Anthropic and OpenAI-compatible models, with an
// ncurses operator console in the same process. See README.md and DESIGN.md (shared) for the map.

import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        // For the benchmark package in Benchmarks/, which measures the modules directly.
        .library(name: "SwitchboardKit", targets: ["Core", "Store", "HTTP", "Providers", "Gateway", "Assistant", "TelegramBot", "Console"]),
        .library(name: "SwitchboardTestSupport", targets: ["TestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // The small HTTP server for Telegram's webhook and /metrics (Endpoints).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        // Hummingbird's own foundations, named for the webhook server's connection guard (a NIO
        // handler on HTTP parts that enforces the request deadline); already in the graph.
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        // Stops the HTTP server gracefully (Hummingbird runs as a Service).
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // Prometheus text exposition for /metrics: counters, gauges, histograms.
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
    ],
    targets: [
        // C shims: typed wrappers for the C macros and variadic functions Swift cannot import.
        .target(
            name: "CCurl",
            linkerSettings: [.linkedLibrary("curl")]
        ),
        .target(
            name: "CNcursesw",
            linkerSettings: [.linkedLibrary("ncursesw")]
        ),

        .target(
            name: "Core",
            dependencies: [
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Store",
            dependencies: [
                "Core",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's own API, which GRDB is built on: the request-path inserts bind directly.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "HTTP",
            dependencies: ["CCurl", "Core"],
            swiftSettings: strict
        ),
        .target(
            name: "Providers",
            dependencies: ["Core", "HTTP"],
            swiftSettings: strict
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "Core", "Store", "Providers",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources/models.json")],
            swiftSettings: strict
        ),
        .target(
            name: "Assistant",
            dependencies: ["Core", "Store", "Providers", "Gateway", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "TelegramBot",
            dependencies: ["Core", "Store", "HTTP", "Assistant", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // The HTTP server beside the bot: Telegram's webhook and Prometheus /metrics.
        .target(
            name: "Endpoints",
            dependencies: [
                "Core", "Gateway", "TelegramBot",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Console",
            dependencies: [
                "CNcursesw", "Core",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "Core", "Store", "HTTP", "Providers", "Gateway", "Assistant", "TelegramBot", "Endpoints", "Console",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // Test-only: fake provider and Telegram servers on 127.0.0.1, raw connections, processes.
        .target(
            name: "TestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "CoreTests", dependencies: ["Core"], swiftSettings: strict),
        .testTarget(
            name: "StoreTests", dependencies: ["Store", "Core", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "ProvidersTests", dependencies: ["Providers", "HTTP", "TestSupport"], swiftSettings: strict),
        .testTarget(
            name: "GatewayTests", dependencies: ["Gateway", "Providers", "Store", "HTTP", "Core", "TestSupport"],
            // Exact token counts of 200 texts under cl100k_base and o200k_base (shared/reference).
            resources: [.copy("Resources/token-counts.jsonl")], swiftSettings: strict),
        .testTarget(name: "AssistantTests", dependencies: ["Assistant", "Core", "Gateway", "Store", "Providers", "HTTP", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "TelegramBotTests", dependencies: ["TelegramBot", "Endpoints", "Core", "HTTP", "TestSupport", "Store", "Gateway", "Assistant", "Providers"], swiftSettings: strict),
        .testTarget(name: "ConsoleTests", dependencies: ["Console", "Core"], swiftSettings: strict),
        .testTarget(
            name: "SwitchboardCLITests",
            // Depends on the executable so that `swift test` builds the binary these tests run.
            dependencies: ["switchboard", "TestSupport", "HTTP", "Store"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
