import Testing

@testable import Core

@Suite struct SettingsLoaderTests {
    let home = ["HOME": "/home/op"]

    func load(_ environment: [String: String], dotEnv: String? = nil, stored: [String: String] = [:]) -> (Settings, ConfigReport) {
        SettingsLoader(environment: home.merging(environment) { $1 }, dotEnv: dotEnv.map { DotEnvFile(contents: $0) }, storedSecrets: stored).load()
    }

    @Test func defaultsFollowTheSeedGuide() {
        let (settings, report) = load([:])
        #expect(settings.environment == .development)
        #expect(settings.quotas == QuotaSettings(hourlyUSD: 20, dailyUSD: 100, globalDailyUSD: 1000, userDailyUSD: 1))
        #expect(settings.features == FeatureFlags(caching: true, streaming: true, personality: true, memory: true, costAlerts: true, metrics: false))
        #expect(settings.cacheTTLSeconds == 3600)
        #expect(settings.logLevel == .info)
        #expect(settings.providers.map(\.baseURL) == ["https://api.openai.com/v1", "https://api.anthropic.com"])
        #expect(settings.telegram.apiBaseURL == "https://api.telegram.org")
        #expect(settings.databasePath == "/home/op/.local/share/switchboard/switchboard.sqlite3")
        #expect(settings.usesDemoProvider)
        #expect(report.isValid)
        #expect(report.warnings.contains { $0.message.hasPrefix("No LLM providers configured") })
    }

    @Test func realEnvironmentWinsOverDotEnvWhichWinsOverStoredSecrets() {
        let (settings, _) = load(
            ["LLM_DAILY_QUOTA": "50"],
            dotEnv: "LLM_DAILY_QUOTA=70\nLLM_HOURLY_QUOTA=7\nOPENAI_API_KEY=from-dotenv\n",
            stored: ["OPENAI_API_KEY": "from-store", "ANTHROPIC_API_KEY": "stored-anthropic"])
        #expect(settings.quotas.dailyUSD == 50)
        #expect(settings.quotas.hourlyUSD == 7)
        #expect(settings.providers[0].apiKey?.value == "from-dotenv")
        #expect(settings.providers[1].apiKey?.value == "stored-anthropic")
        #expect(settings.sources["LLM_DAILY_QUOTA"] == .environment)
        #expect(settings.sources["LLM_HOURLY_QUOTA"] == .dotEnv)
        #expect(settings.sources["ANTHROPIC_API_KEY"] == .storedSecret)
        #expect(settings.sources["LLM_CACHE_TTL"] == .defaultValue)
        #expect(!settings.usesDemoProvider)
    }

    @Test(arguments: [
        ("LLM_DAILY_QUOTA", "abc", "expected an amount in USD"),
        ("LLM_HOURLY_QUOTA", "-5", "0 or more USD"),
        ("LLM_GLOBAL_DAILY_LIMIT", "lots", "expected an amount in USD"),
        ("LLM_CACHE_TTL", "-1", "0 or more seconds"),
        ("LLM_CACHE_TTL", "1h", "whole number of seconds"),
        ("LLM_ENABLE_CACHING", "maybe", "expected true or false"),
        ("LLM_PREFERRED_PROVIDER", "cohere", "unknown provider 'cohere'"),
        ("OPENAI_BASE_URL", "api.openai.com/v1", "http:// or https:// URL"),
        ("ANTHROPIC_BASE_URL", "ftp://x", "http:// or https:// URL"),
        ("TELEGRAM_ALLOWED_USERS", "12,bob", "numeric Telegram ids"),
        ("LOG_LEVEL", "LOUD", "expected one of TRACE"),
        ("ENVIRONMENT", "prod", "expected one of development"),
        ("LLM_MASTER_KEY", "short", "too short"),
        ("LLM_DAILY_QUOTA", "0x10", "expected an amount in USD"),
        ("LLM_HOURLY_QUOTA", "1e3", "expected an amount in USD"),
        ("LLM_USER_DAILY_QUOTA", "inf", "expected an amount in USD"),
        ("TELEGRAM_BOT_TOKEN", "123456:ABC def", "is not a bot token (it contains a space or a line break)"),
        ("TELEGRAM_BOT_TOKEN", "\"123456:ABCdef\"", "is not a bot token (it contains quotes)"),
        ("TELEGRAM_BOT_TOKEN", "ABCdef", "is not a bot token"),
    ])
    func badValuesAreErrorsNamingTheVariable(variable: String, value: String, expected: String) {
        let (_, report) = load([variable: value])
        #expect(!report.isValid)
        let issue = report.errors.first { $0.variable == variable }
        #expect(issue != nil, "no error for \(variable)")
        #expect(issue?.message.contains(expected) == true, "\(issue?.message ?? "")")
    }

    @Test(arguments: ["10", "$2.50", "0.5", ".5", "3."])
    func plainDecimalAmountsAreRead(value: String) {
        let (_, report) = load(["LLM_DAILY_QUOTA": value])
        #expect(!report.errors.contains { $0.variable == "LLM_DAILY_QUOTA" })
    }

    @Test func aBadTokenIsNeverEchoed() {
        let (_, report) = load(["TELEGRAM_BOT_TOKEN": "123456:SECRETpart with-space"])
        #expect(!report.errors.map(\.description).joined().contains("SECRET"))
    }

    @Test func unknownVariablesWarnWithASuggestion() {
        let (_, report) = load(["LLM_DAILY_QOUTA": "5", "PATH": "/bin"], dotEnv: "SOMETHING_ELSE=1\n")
        #expect(report.isValid)
        let daily = report.warnings.first { $0.variable == "LLM_DAILY_QOUTA" }
        #expect(daily?.message.contains("did you mean LLM_DAILY_QUOTA?") == true)
        #expect(report.warnings.contains { $0.variable == "SOMETHING_ELSE" })
        #expect(!report.warnings.contains { $0.variable == "PATH" })
    }

    @Test func compatibleProvidersAreDeclaredByName() {
        let (settings, report) = load([
            "LLM_COMPATIBLE_PROVIDERS": "groq, ollama",
            "GROQ_BASE_URL": "https://api.groq.example/openai/v1/",
            "GROQ_API_KEY": "gsk-1",
            "GROQ_MODELS": "llama-3.1-8b-instant, mixtral",
            "OLLAMA_BASE_URL": "http://localhost:11434/v1",
            "OLLAMA_MODELS": "llama3",
            "LLM_PREFERRED_PROVIDER": "ollama",
        ])
        #expect(report.isValid, "\(report.errors)")
        let groq = settings.providers.first { $0.name == "groq" }
        #expect(groq?.baseURL == "https://api.groq.example/openai/v1")
        #expect(groq?.models == ["llama-3.1-8b-instant", "mixtral"])
        #expect(groq?.apiKey?.value == "gsk-1")
        #expect(settings.providers.first { $0.name == "ollama" }?.isConfigured == true)
        #expect(settings.preferredProvider == "ollama")
        #expect(!settings.usesDemoProvider)
        #expect(!report.warnings.contains { $0.variable == "GROQ_MODELS" || $0.variable == "GROQ_BASE_URL" })
    }

    @Test func compatibleModelPricesAreDeclaredPerMillionTokens() {
        let (settings, report) = load([
            "LLM_COMPATIBLE_PROVIDERS": "groq",
            "GROQ_BASE_URL": "https://api.groq.example/openai/v1",
            "GROQ_MODELS": "llama-3.3-70b, meta-llama/llama-4-scout, gemma",
            "GROQ_PRICES": "llama-3.3-70b=0.59/0.79, meta-llama/llama-4-scout = 0.11/0.34, *=free",
        ])
        #expect(report.isValid, "\(report.errors)")
        let groq = settings.providers.first { $0.name == "groq" }
        #expect(groq?.declaredPrice(of: "llama-3.3-70b") == DeclaredPrice(inputPerMillion: 0.59, outputPerMillion: 0.79))
        #expect(groq?.declaredPrice(of: "meta-llama/llama-4-scout") == DeclaredPrice(inputPerMillion: 0.11, outputPerMillion: 0.34))
        #expect(groq?.declaredPrice(of: "gemma") == .free, "* prices every other model")
        for bad in ["llama-3.3-70b", "llama-3.3-70b=0x10/1", "llama-3.3-70b=1", "llama-3.3-70b=-1/2", "=free", "llama-3.3-70b=1e3/1"] {
            let (_, report) = load(["LLM_COMPATIBLE_PROVIDERS": "groq", "GROQ_BASE_URL": "https://api.groq.example/v1", "GROQ_MODELS": "llama-3.3-70b", "GROQ_PRICES": bad])
            #expect(report.errors.contains { $0.variable == "GROQ_PRICES" }, "\(bad)")
        }
    }

    @Test func aCompatibleProviderWithoutBaseURLIsAnError() {
        let (_, report) = load(["LLM_COMPATIBLE_PROVIDERS": "vllm"])
        #expect(report.errors.contains { $0.variable == "VLLM_BASE_URL" })
    }

    @Test func anOpenBotInProductionMustBeMeant() {
        let bot = ["ENVIRONMENT": "production", "OPENAI_API_KEY": "sk-test-production", "TELEGRAM_BOT_TOKEN": "123456:ABCdef"]
        let (_, open) = load(bot)
        #expect(open.errors.contains { $0.variable == "TELEGRAM_ALLOWED_USERS" && $0.message.contains("TELEGRAM_ALLOW_EVERYONE=true") })
        let (_, meant) = load(bot.merging(["TELEGRAM_ALLOW_EVERYONE": "true"]) { $1 })
        #expect(!meant.errors.contains { $0.variable == "TELEGRAM_ALLOWED_USERS" })
        #expect(!meant.warnings.contains { $0.variable == "TELEGRAM_ALLOWED_USERS" })
        let (_, development) = load(["TELEGRAM_BOT_TOKEN": "123456:ABCdef"])
        #expect(development.warnings.contains { $0.variable == "TELEGRAM_ALLOWED_USERS" }, "outside production a warning")
        #expect(!development.errors.contains { $0.variable == "TELEGRAM_ALLOWED_USERS" })
    }

    @Test func productionWithoutProvidersIsInvalid() {
        let (_, report) = load(["ENVIRONMENT": "production"])
        #expect(!report.isValid)
        #expect(report.errors.contains { $0.message.hasPrefix("No LLM providers configured") })
        #expect(report.warnings.contains { $0.variable == "LLM_MASTER_KEY" })
    }

    @Test func telegramWithoutAllowListWarns() {
        let (settings, report) = load(["TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_ADMIN_USERS": "42", "TELEGRAM_ALLOWED_USERS": ""])
        #expect(settings.telegram.adminUsers == [42])
        #expect(report.warnings.contains { $0.variable == "TELEGRAM_ALLOWED_USERS" })
    }

    @Test func secretsNeverAppearInReportsOrDescriptions() {
        let (settings, report) = load(["OPENAI_API_KEY": "sk-very-secret", "LLM_PREFERRED_PROVIDER": "nope"])
        let everything = "\(report.errors) \(report.warnings) \(settings.providers) \(String(describing: settings.providers[0].apiKey))"
        #expect(!everything.contains("sk-very-secret"))
        #expect(settings.providers[0].apiKey?.value == "sk-very-secret")
    }

    @Test func envExampleListsEveryVariableWithItsDefault() throws {
        let path = #filePath.replacingOccurrences(of: "Tests/CoreTests/SettingsLoaderTests.swift", with: ".env.example")
        let file = DotEnvFile(contents: try String(contentsOfFile: path, encoding: .utf8))
        #expect(file.issues.isEmpty, "\(file.issues)")
        for variable in ConfigVariable.all {
            #expect(file.values[variable.name] == variable.defaultValue, "\(variable.name) in .env.example")
        }
        #expect(ConfigVariable.envExample == (try String(contentsOfFile: path, encoding: .utf8)))
    }

    /// `/metrics` is unauthenticated: it gets an address of its own, and sharing a public one
    /// with the webhook is pointed out.
    @Test func metricsListenApartFromTheWebhook() {
        let webhook = ["TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_WEBHOOK_URL": "https://bot.example.com/hook", "LLM_ENABLE_METRICS": "true"]
        let (apart, apartReport) = load(webhook.merging(["SWITCHBOARD_HTTP_LISTEN": "0.0.0.0:8080", "SWITCHBOARD_METRICS_LISTEN": "127.0.0.1:9090"]) { $1 })
        #expect(apart.metricsListen == ListenAddress(host: "127.0.0.1", port: 9090))
        #expect(apartReport.isValid && !apartReport.warnings.contains { $0.variable == "SWITCHBOARD_METRICS_LISTEN" })

        let (_, shared) = load(webhook.merging(["SWITCHBOARD_HTTP_LISTEN": "0.0.0.0:8080"]) { $1 })
        #expect(shared.warnings.contains { $0.variable == "SWITCHBOARD_METRICS_LISTEN" && $0.message.contains("unauthenticated") })
        let (_, loopback) = load(webhook.merging(["SWITCHBOARD_HTTP_LISTEN": "127.0.0.1:8080"]) { $1 })
        #expect(!loopback.warnings.contains { $0.variable == "SWITCHBOARD_METRICS_LISTEN" }, "behind a local proxy")

        let (_, same) = load(webhook.merging(["SWITCHBOARD_HTTP_LISTEN": "127.0.0.1:8080", "SWITCHBOARD_METRICS_LISTEN": "127.0.0.1:8080"]) { $1 })
        #expect(same.errors.contains { $0.variable == "SWITCHBOARD_METRICS_LISTEN" })
        let (_, bad) = load(["SWITCHBOARD_METRICS_LISTEN": "nine thousand"])
        #expect(bad.errors.contains { $0.variable == "SWITCHBOARD_METRICS_LISTEN" })
        let (_, off) = load(["SWITCHBOARD_METRICS_LISTEN": "127.0.0.1:9090"])
        #expect(off.warnings.contains { $0.variable == "SWITCHBOARD_METRICS_LISTEN" && $0.message.contains("only /healthz") })
    }
}

@Suite struct NetworkSettingsTests {
    @Test func timeoutsHaveDefaultsAndMustBePositive() {
        let (defaults, _) = SettingsLoader(environment: [:]).load()
        #expect(defaults.network == NetworkSettings(caFile: nil, connectTimeout: 10, firstByteTimeout: 60, idleTimeout: 30, requestTimeout: 300))
        let (settings, report) = SettingsLoader(environment: ["SWITCHBOARD_IDLE_TIMEOUT": "0", "SWITCHBOARD_CONNECT_TIMEOUT": "3"]).load()
        #expect(settings.network.connectTimeout == 3)
        #expect(settings.network.idleTimeout == 30)
        #expect(report.errors.contains { $0.variable == "SWITCHBOARD_IDLE_TIMEOUT" && $0.message.contains("at least 1 second") })
    }
}
