public import Logging

/// Where Switchboard runs; `production` enforces encrypted secrets and a real provider.
public enum DeploymentEnvironment: String, Sendable, CaseIterable {
    case development, staging, production, test
}

/// A secret value (API key, bot token, master key). Prints as a mask, never as itself.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself: pass it to the one place that needs it, never to a log or a message.
    public let value: String

    /// Wraps a secret value.
    public init(_ value: String) { self.value = value }

    public var description: String { "[redacted]" }
    public var debugDescription: String { "[redacted]" }
}

/// The wire format a provider speaks.
public enum ProviderKind: String, Sendable, CaseIterable {
    case openAI = "openai"
    case anthropic = "anthropic"
    case openAICompatible = "openai-compatible"
    case demo = "demo"
}

/// One LLM provider as configured: where it lives and how to authenticate.
public struct ProviderConfiguration: Sendable, Hashable {
    /// The provider's name as used everywhere (`openai`, `anthropic`, `groq`, `demo`…).
    public var name: String
    /// The wire format it speaks.
    public var kind: ProviderKind
    /// The API base URL.
    public var baseURL: String
    /// The API key, if any.
    public var apiKey: Secret?
    /// The variable that holds the API key (for messages: "set OPENAI_API_KEY").
    public var apiKeyVariable: String?
    /// OpenAI organization id, sent as a header when set.
    public var organization: String?
    /// Models an OpenAI-compatible provider serves (from `NAME_MODELS`).
    public var models: [String]
    /// What the operator declared those models cost (from `NAME_PRICES`), by model id, `*` for
    /// every model. A model with no price (here or in the models file) is never used: it would
    /// otherwise be routed as if it were free.
    public var prices: [String: DeclaredPrice]

    /// The declared price of `model`, or of every model.
    public func declaredPrice(of model: String) -> DeclaredPrice? {
        prices[model] ?? prices[DeclaredPrice.everyModel]
    }

    /// Whether the provider can be called: a key is set, or (for compatible servers such as Ollama,
    /// which need none) a base URL was declared.
    public var isConfigured: Bool {
        switch kind {
        case .openAI, .anthropic: apiKey != nil
        case .openAICompatible, .demo: true
        }
    }

    /// Creates a provider configuration.
    public init(name: String, kind: ProviderKind, baseURL: String, apiKey: Secret? = nil, apiKeyVariable: String? = nil, organization: String? = nil, models: [String] = [], prices: [String: DeclaredPrice] = [:]) {
        self.prices = prices
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.apiKeyVariable = apiKeyVariable
        self.organization = organization
        self.models = models
    }
}

/// A compatible provider's model price as the operator declared it, in USD per million tokens
/// (`free` is 0 and 0).
public struct DeclaredPrice: Sendable, Hashable {
    /// The model name that stands for every model of the provider.
    public static let everyModel = "*"

    public var inputPerMillion: Double
    public var outputPerMillion: Double

    public init(inputPerMillion: Double, outputPerMillion: Double) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
    }

    public static let free = DeclaredPrice(inputPerMillion: 0, outputPerMillion: 0)
}

/// Spend limits in USD, per provider per UTC hour and day, and across all providers per day.
public struct QuotaSettings: Sendable, Hashable {
    /// Per provider per UTC hour.
    public var hourlyUSD: Double
    /// Per provider per UTC day.
    public var dailyUSD: Double
    /// Across every provider per UTC day.
    public var globalDailyUSD: Double
    /// Per Telegram user per UTC day; 0 means no per-user limit.
    public var userDailyUSD: Double

    public init(hourlyUSD: Double, dailyUSD: Double, globalDailyUSD: Double, userDailyUSD: Double) {
        self.hourlyUSD = hourlyUSD
        self.dailyUSD = dailyUSD
        self.globalDailyUSD = globalDailyUSD
        self.userDailyUSD = userDailyUSD
    }
}

/// Feature switches from the seed guide's `LLM_ENABLE_*` variables.
public struct FeatureFlags: Sendable, Hashable {
    public var caching: Bool
    public var streaming: Bool
    public var personality: Bool
    public var memory: Bool
    public var costAlerts: Bool
    public var metrics: Bool
}

/// Telegram bot settings.
public struct TelegramSettings: Sendable, Hashable {
    /// The bot token; the bot runs only when it is set.
    public var token: Secret?
    /// The Bot API base URL.
    public var apiBaseURL: String
    /// User and group ids allowed to talk to the bot; empty means everyone.
    public var allowedUsers: [Int64]
    /// The operator means an empty ``allowedUsers`` (anyone may use the bot).
    public var allowEveryone: Bool
    /// User ids allowed to use admin commands.
    public var adminUsers: [Int64]
    /// The public URL Telegram posts updates to; `nil` means long polling.
    public var webhookURL: String?
    /// The `secret_token` Telegram sends with each webhook request; `nil` means a random one per start.
    public var webhookSecret: Secret?
}

/// Where the small HTTP server (webhook, `/metrics`) listens.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (`[::1]:8080` for IPv6); `nil` when it is not one.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(" "), !host.contains("/") else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether only this machine can connect (127.0.0.0/8, `::1`, `localhost`).
    public var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }
}

/// How Switchboard talks HTTP to providers (and Telegram): timeouts in seconds and the CA file.
public struct NetworkSettings: Sendable, Hashable {
    public var caFile: String?
    public var connectTimeout: Int
    public var firstByteTimeout: Int
    public var idleTimeout: Int
    public var requestTimeout: Int
}

/// Where a variable's value came from, for `config show`.
public enum ValueSource: String, Sendable {
    case environment = "environment"
    case dotEnv = ".env"
    case storedSecret = "stored secret"
    case defaultValue = "default"
}

/// The whole configuration, validated. Build it with ``SettingsLoader``.
public struct Settings: Sendable {
    public var environment: DeploymentEnvironment
    public var logLevel: Logger.Level
    public var debugMode: Bool
    /// Every declared provider, configured or not: openai, anthropic, then compatible ones.
    public var providers: [ProviderConfiguration]
    public var preferredProvider: String?
    public var preferredModel: String?
    public var quotas: QuotaSettings
    public var features: FeatureFlags
    /// Response cache time to live, in seconds.
    public var cacheTTLSeconds: Int
    /// Longest user message accepted, in characters.
    public var maxInputLength: Int
    /// Recent messages sent with each request.
    public var memoryWindow: Int
    public var masterKey: Secret?
    public var network: NetworkSettings
    public var telegram: TelegramSettings
    /// Where the HTTP server for the webhook and `/metrics` listens; `nil` means no server.
    public var httpListen: ListenAddress?
    /// Where a second server serves `/metrics` and `/healthz` only; `nil`: `/metrics` is on
    /// ``httpListen``.
    public var metricsListen: ListenAddress? = nil
    /// The SQLite database file.
    public var databasePath: String
    /// The operator's model catalog file, merged over the bundled one.
    public var modelsFile: String?
    public var theme: String
    /// Seconds a stopping bot lets answers in flight finish (`SWITCHBOARD_SHUTDOWN_TIMEOUT`).
    public var shutdownTimeout: Int = 20
    /// Where each known variable's value came from.
    public var sources: [String: ValueSource]

    /// The providers that can be called.
    public var configuredProviders: [ProviderConfiguration] {
        providers.filter(\.isConfigured)
    }

    /// `true` when no real provider is configured, so the offline demo provider answers instead.
    public var usesDemoProvider: Bool { configuredProviders.isEmpty }

    /// Names a request may be routed to, the demo provider included when it is active.
    public var providerNames: [String] {
        providers.map(\.name) + (usesDemoProvider ? [Self.demoProviderName] : [])
    }

    /// The name of the offline demo provider.
    public static let demoProviderName = "demo"
}
