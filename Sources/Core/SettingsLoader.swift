import Configuration
import Foundation
import Logging

/// Builds ``Settings`` from the process environment, a `.env` file and stored secrets, in that
/// order of precedence, and reports every problem by variable name.
///
/// The layering is swift-configuration's `ConfigReader` over three `EnvironmentVariablesProvider`s;
/// the typed parsing is ours so that each bad value gets a message saying what was expected.
public struct SettingsLoader: Sendable {
    /// The real environment (wins over everything).
    public var environment: [String: String]
    /// The parsed `.env` file, if there is one.
    public var dotEnv: DotEnvFile?
    /// Decrypted secrets from the database, used only where neither of the above sets a value.
    public var storedSecrets: [String: String]

    /// Creates a loader over the given layers.
    public init(environment: [String: String], dotEnv: DotEnvFile? = nil, storedSecrets: [String: String] = [:]) {
        self.environment = environment
        self.dotEnv = dotEnv
        self.storedSecrets = storedSecrets
    }

    /// Reads `.env` at `path` if it exists; an unreadable file becomes a warning, not a failure.
    public static func readDotEnv(at path: String) -> (DotEnvFile?, [ConfigIssue]) {
        guard FileManager.default.fileExists(atPath: path) else { return (nil, []) }
        guard let data = FileManager.default.contents(atPath: path) else {
            return (nil, [ConfigIssue(nil, "\(path) exists but cannot be read; its values are ignored")])
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        return (DotEnvFile(contents: String(decoding: data, as: UTF8.self), fileName: name), [])
    }

    /// The names of the secret variables that may be stored encrypted in the database.
    public static func storableSecretNames(environment: [String: String], dotEnv: DotEnvFile?) -> [String] {
        let compatible = compatibleProviderNames(from: environment[ConfigVariable.compatibleProviders.name] ?? dotEnv?.values[ConfigVariable.compatibleProviders.name] ?? "")
        return [ConfigVariable.openAIAPIKey.name, ConfigVariable.anthropicAPIKey.name, ConfigVariable.telegramBotToken.name]
            + compatible.map { variablePrefix(for: $0) + "_API_KEY" }
    }

    /// Loads and validates the configuration.
    public func load() -> (Settings, ConfigReport) {
        var report = ConfigReport()
        report.warnings += dotEnv?.issues ?? []
        let reader = ConfigReader(providers: [
            EnvironmentVariablesProvider(environmentVariables: environment),
            EnvironmentVariablesProvider(environmentVariables: dotEnv?.values ?? [:]),
            EnvironmentVariablesProvider(environmentVariables: storedSecrets, secretsSpecifier: .all),
        ])
        var values = ValueReader(reader: reader, report: report)

        let deployment = values.choice(.environment, default: DeploymentEnvironment.development)
        let logLevel = values.logLevel(.logLevel)
        let compatibleNames = Self.compatibleProviderNames(from: values.string(.compatibleProviders) ?? "")
        var providers = [
            ProviderConfiguration(
                name: ProviderKind.openAI.rawValue, kind: .openAI,
                baseURL: values.url(.openAIBaseURL),
                apiKey: values.secret(.openAIAPIKey), apiKeyVariable: ConfigVariable.openAIAPIKey.name,
                organization: values.string(.openAIOrganization)),
            ProviderConfiguration(
                name: ProviderKind.anthropic.rawValue, kind: .anthropic,
                baseURL: values.url(.anthropicBaseURL),
                apiKey: values.secret(.anthropicAPIKey), apiKeyVariable: ConfigVariable.anthropicAPIKey.name),
        ]
        providers += values.compatibleProviders(named: compatibleNames)

        let quotas = QuotaSettings(
            hourlyUSD: values.usd(.hourlyQuota), dailyUSD: values.usd(.dailyQuota),
            globalDailyUSD: values.usd(.globalDailyLimit), userDailyUSD: values.usd(.userDailyQuota))
        let features = FeatureFlags(
            caching: values.bool(.enableCaching), streaming: values.bool(.enableStreaming),
            personality: values.bool(.enablePersonality), memory: values.bool(.enableMemory),
            costAlerts: values.bool(.enableCostAlerts), metrics: values.bool(.enableMetrics))
        let telegram = TelegramSettings(
            token: values.secret(.telegramBotToken), apiBaseURL: values.url(.telegramAPIBaseURL),
            allowedUsers: values.ids(.telegramAllowedUsers), allowEveryone: values.bool(.telegramAllowEveryone), adminUsers: values.ids(.telegramAdminUsers),
            webhookURL: values.url(named: ConfigVariable.telegramWebhookURL.name, default: nil),
            webhookSecret: values.webhookSecret(.telegramWebhookSecret))

        var settings = Settings(
            environment: deployment, logLevel: logLevel, debugMode: values.bool(.debugMode),
            providers: providers,
            preferredProvider: values.string(.preferredProvider)?.lowercased(),
            preferredModel: values.string(.preferredModel),
            quotas: quotas, features: features,
            cacheTTLSeconds: values.seconds(.cacheTTL),
            maxInputLength: values.positive(.maxInputLength, unit: "characters"),
            memoryWindow: values.memoryWindow(.memoryWindow),
            masterKey: values.secret(.masterKey),
            network: NetworkSettings(
                caFile: values.string(.caFile).map(Self.expandingTilde),
                connectTimeout: values.positiveSeconds(.connectTimeout), firstByteTimeout: values.positiveSeconds(.firstByteTimeout),
                idleTimeout: values.positiveSeconds(.idleTimeout), requestTimeout: values.positiveSeconds(.requestTimeout)),
            telegram: telegram,
            httpListen: values.listenAddress(.httpListen),
            metricsListen: values.listenAddress(.metricsListen),
            databasePath: values.string(.database).map(Self.expandingTilde) ?? Self.defaultDatabasePath(environment: environment),
            modelsFile: values.string(.modelsFile).map(Self.expandingTilde),
            theme: values.string(.theme) ?? ConfigVariable.theme.defaultValue,
            sources: [:])
        settings.shutdownTimeout = values.positiveSeconds(.shutdownTimeout)
        settings.sources = sources(compatibleNames: compatibleNames)
        report = values.report
        SettingsValidator(settings: settings).check(into: &report)
        checkUnknownVariables(compatibleNames: compatibleNames, into: &report)
        return (settings, report)
    }

    /// The default database file: `$XDG_DATA_HOME/switchboard/switchboard.sqlite3`, where
    /// `XDG_DATA_HOME` defaults to `~/.local/share`.
    public static func defaultDatabasePath(environment: [String: String]) -> String {
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.local/share")
        return dataHome + "/switchboard/switchboard.sqlite3"
    }

    static func expandingTilde(_ path: String) -> String {
        path.hasPrefix("~/") ? NSHomeDirectory() + path.dropFirst() : path
    }

    /// Parses `LLM_COMPATIBLE_PROVIDERS`: comma-separated, trimmed, lower-cased, empty items dropped.
    static func compatibleProviderNames(from list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingWhitespace().lowercased() }.filter { !$0.isEmpty }
    }

    /// `my-llm` → `MY_LLM`: the prefix of a compatible provider's own variables.
    public static func variablePrefix(for providerName: String) -> String {
        providerName.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    static func compatibleVariables(for name: String) -> [String] {
        let prefix = variablePrefix(for: name)
        return [prefix + "_BASE_URL", prefix + "_API_KEY", prefix + "_MODELS", prefix + "_PRICES"]
    }

    private func sources(compatibleNames: [String]) -> [String: ValueSource] {
        let names = ConfigVariable.all.map(\.name) + compatibleNames.flatMap(Self.compatibleVariables(for:))
        var sources: [String: ValueSource] = [:]
        for name in names {
            if environment[name] != nil {
                sources[name] = .environment
            } else if dotEnv?.values[name] != nil {
                sources[name] = .dotEnv
            } else if storedSecrets[name] != nil {
                sources[name] = .storedSecret
            } else {
                sources[name] = .defaultValue
            }
        }
        return sources
    }

    /// Unknown names in `.env` get a warning; in the real environment only names that look like ours
    /// (a prefix we use), since the environment holds everybody's variables.
    private func checkUnknownVariables(compatibleNames: [String], into report: inout ConfigReport) {
        let known = Set(ConfigVariable.all.map(\.name) + compatibleNames.flatMap(Self.compatibleVariables(for:)))
        let ourPrefixes = ["LLM_", "SWITCHBOARD_", "TELEGRAM_", "OPENAI_", "ANTHROPIC_"]
        let fromEnvironment = environment.keys.filter { name in ourPrefixes.contains { name.hasPrefix($0) } }
        let suspects = Set(fromEnvironment).union(dotEnv?.values.keys ?? [:].keys).subtracting(known)
        for name in suspects.sorted() {
            let suggestion = known.min { editDistance(name, $0) < editDistance(name, $1) }
                .flatMap { editDistance(name, $0) <= 3 ? $0 : nil }
            let hint = suggestion.map { "; did you mean \($0)?" } ?? ""
            report.warn(name, "unknown variable, ignored\(hint)")
        }
    }
}

/// Levenshtein distance, for "did you mean" hints.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
