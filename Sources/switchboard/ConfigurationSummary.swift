import Core
import Foundation
import Store

/// `config show`: the configuration as an operator wants to read it, with no secret in it.
struct ConfigurationSummary {
    let loaded: LoadedConfiguration
    let overrides: [String: ProviderOverrides]

    private var settings: Settings { loaded.settings }

    struct ProviderRow {
        var name: String
        var kind: String
        var configured: Bool
        var enabled: Bool
        var baseURL: String
        var key: String
        var models: [String]
        var note: String?
    }

    var providerRows: [ProviderRow] {
        var rows = settings.providers.map { provider in
            ProviderRow(
                name: provider.name, kind: provider.kind.rawValue, configured: provider.isConfigured,
                enabled: overrides[provider.name]?.enabled ?? true, baseURL: provider.baseURL,
                key: keyStatus(provider), models: provider.models, note: nil)
        }
        rows.append(ProviderRow(
            name: Settings.demoProviderName, kind: ProviderKind.demo.rawValue, configured: settings.usesDemoProvider,
            enabled: settings.usesDemoProvider, baseURL: "offline", key: "no key needed", models: [],
            note: settings.usesDemoProvider ? "offline demo provider, active because no provider key is set" : "offline demo provider, inactive (a real provider is configured)"))
        return rows
    }

    private func keyStatus(_ provider: ProviderConfiguration) -> String {
        guard let variable = provider.apiKeyVariable else { return "no key" }
        guard provider.apiKey != nil else { return "\(variable) not set" }
        return "\(variable) set (\(settings.sources[variable]?.rawValue ?? "environment"))"
    }

    private func usd(_ value: Double) -> String { String(format: "$%.2f", value) }
    private func onOff(_ flag: Bool) -> String { flag ? "on" : "off" }
    private func ids(_ list: [Int64], empty: String) -> String { list.isEmpty ? empty : list.map(String.init).joined(separator: ", ") }

    var text: String {
        var lines: [String] = []
        func row(_ label: String, _ value: String) { lines.append("  " + label.padding(toLength: 20, withPad: " ", startingAt: 0) + value) }

        lines.append("Switchboard configuration")
        row("environment", settings.environment.rawValue)
        row("log level", settings.logLevel.rawValue.uppercased() + (settings.debugMode ? " (debug mode)" : ""))
        row(".env", loaded.dotEnvPath + (loaded.dotEnvFound ? "" : " (not found)"))
        row("database", settings.databasePath + (loaded.store == nil ? " (cannot be opened)" : ""))
        lines.append("")
        lines.append("Providers")
        for provider in providerRows {
            let state = !provider.configured ? "not configured" : (provider.enabled ? "enabled" : "disabled")
            var detail = "\(provider.kind.padding(toLength: 18, withPad: " ", startingAt: 0)) \(state.padding(toLength: 15, withPad: " ", startingAt: 0)) \(provider.key)"
            if provider.baseURL != "offline" { detail += "  \(provider.baseURL)" }
            row(provider.name, detail)
            if !provider.models.isEmpty { row("", "models: " + provider.models.joined(separator: ", ")) }
            if let note = provider.note { row("", note) }
        }
        lines.append("")
        lines.append("Routing")
        row("preferred provider", settings.preferredProvider ?? "automatic")
        row("preferred model", settings.preferredModel ?? "automatic")
        lines.append("")
        lines.append("Quotas (USD)")
        row("per provider", "\(usd(settings.quotas.hourlyUSD)) an hour, \(usd(settings.quotas.dailyUSD)) a day (UTC)")
        for (name, override) in overrides.sorted(by: { $0.key < $1.key }) where override.hourlyQuotaUSD != nil || override.dailyQuotaUSD != nil {
            row("  " + name, "\(usd(override.hourlyQuotaUSD ?? settings.quotas.hourlyUSD)) an hour, \(usd(override.dailyQuotaUSD ?? settings.quotas.dailyUSD)) a day (set by the operator)")
        }
        row("global", "\(usd(settings.quotas.globalDailyUSD)) a day (UTC)")
        row("cost alerts", onOff(settings.features.costAlerts))
        lines.append("")
        lines.append("Features")
        row("caching", onOff(settings.features.caching) + (settings.features.caching ? " (ttl \(settings.cacheTTLSeconds) s)" : ""))
        row("streaming", onOff(settings.features.streaming))
        row("personality", onOff(settings.features.personality))
        row("memory", onOff(settings.features.memory))
        row("metrics", onOff(settings.features.metrics))
        lines.append("")
        lines.append("Network")
        let network = settings.network
        row("timeouts", "connect \(network.connectTimeout) s, first byte \(network.firstByteTimeout) s, idle \(network.idleTimeout) s, whole request \(network.requestTimeout) s")
        row("CA certificates", network.caFile ?? "the system's")
        row("proxy", "from https_proxy / http_proxy / no_proxy when set (libcurl)")
        lines.append("")
        lines.append("Telegram")
        row("bot", settings.telegram.token == nil ? "TELEGRAM_BOT_TOKEN not set (bot off)" : "TELEGRAM_BOT_TOKEN set (\(settings.sources[ConfigVariable.telegramBotToken.name]?.rawValue ?? "environment"))")
        row("api", settings.telegram.apiBaseURL)
        row("allowed", ids(settings.telegram.allowedUsers, empty: "everyone"))
        row("admins", ids(settings.telegram.adminUsers, empty: "none"))
        row("intake", settings.telegram.webhookURL.map { "webhook at \($0) (secret token \(settings.telegram.webhookSecret == nil ? "new each start" : "set"))" } ?? "long polling")
        let metricsBesideWebhook = settings.features.metrics && settings.metricsListen == nil
        row("http server", settings.httpListen.map { "\($0): " + (metricsBesideWebhook ? "/metrics, " : "") + "/healthz" + (settings.telegram.webhookURL == nil ? "" : ", webhook") } ?? "off (SWITCHBOARD_HTTP_LISTEN not set)")
        if let metricsListen = settings.metricsListen {
            row("metrics server", "\(metricsListen): " + (settings.features.metrics ? "/metrics, " : "") + "/healthz")
        }
        lines.append("")
        lines.append("Secrets")
        row("master key", masterKeyStatus)
        row("console theme", settings.theme)
        return lines.joined(separator: "\n")
    }

    private var masterKeyStatus: String {
        if settings.masterKey != nil { return "LLM_MASTER_KEY set (\(settings.sources[ConfigVariable.masterKey.name]?.rawValue ?? "environment"))" }
        return settings.environment == .production
            ? "LLM_MASTER_KEY not set: storing secrets is refused in production"
            : "LLM_MASTER_KEY not set: stored secrets use a development key file beside the database"
    }

    var json: [String: Any] {
        let providers = Dictionary(uniqueKeysWithValues: providerRows.map { row in
            (row.name, [
                "kind": row.kind, "configured": row.configured, "enabled": row.enabled,
                "base_url": row.baseURL, "key": row.key, "models": row.models,
            ] as [String: Any])
        })
        return [
            "environment": settings.environment.rawValue,
            "database": settings.databasePath,
            "providers": providers,
            "demo_mode": settings.usesDemoProvider,
            "global_settings": [
                "preferred_provider": settings.preferredProvider ?? NSNull(),
                "preferred_model": settings.preferredModel ?? NSNull(),
                "hourly_quota": settings.quotas.hourlyUSD,
                "daily_quota": settings.quotas.dailyUSD,
                "global_daily_limit": settings.quotas.globalDailyUSD,
                "enable_caching": settings.features.caching,
                "cache_ttl": settings.cacheTTLSeconds,
                "enable_streaming": settings.features.streaming,
                "enable_personality": settings.features.personality,
                "enable_memory": settings.features.memory,
                "enable_cost_alerts": settings.features.costAlerts,
                "enable_metrics": settings.features.metrics,
                "debug_mode": settings.debugMode,
                "log_level": settings.logLevel.rawValue.uppercased(),
            ] as [String: Any],
            "telegram": [
                "bot_token": settings.telegram.token == nil ? "not set" : "set",
                "api_base_url": settings.telegram.apiBaseURL,
                "allowed_users": settings.telegram.allowedUsers,
                "admin_users": settings.telegram.adminUsers,
            ] as [String: Any],
            "network": [
                "ca_file": settings.network.caFile ?? NSNull(),
                "connect_timeout": settings.network.connectTimeout, "first_byte_timeout": settings.network.firstByteTimeout,
                "idle_timeout": settings.network.idleTimeout, "request_timeout": settings.network.requestTimeout,
            ] as [String: Any],
            "master_key": settings.masterKey == nil ? "not set" : "set",
            "theme": settings.theme,
        ]
    }
}
