import Foundation

/// Checks that look at several settings together (each variable on its own is checked as it is read).
struct SettingsValidator {
    let settings: Settings

    func check(into report: inout ConfigReport) {
        checkProviders(into: &report)
        checkQuotas(into: &report)
        checkSecurity(into: &report)
        checkTelegram(into: &report)
        if let caFile = settings.network.caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            report.error(ConfigVariable.caFile.name, "cannot read \(caFile): expected a PEM file of CA certificates")
        }
        if settings.network.requestTimeout < settings.network.firstByteTimeout {
            report.warn(ConfigVariable.requestTimeout.name, "is shorter than SWITCHBOARD_FIRST_BYTE_TIMEOUT, so a slow first token ends the request first")
        }
        if settings.features.caching && settings.cacheTTLSeconds == 0 {
            report.warn(ConfigVariable.cacheTTL.name, "is 0, so cached answers expire at once; set LLM_ENABLE_CACHING=false to turn caching off")
        }
    }

    private func checkProviders(into report: inout ConfigReport) {
        if settings.usesDemoProvider {
            let message = "No LLM providers configured: set OPENAI_API_KEY or ANTHROPIC_API_KEY (or declare LLM_COMPATIBLE_PROVIDERS)"
            if settings.environment == .production {
                report.error(nil, message)
            } else {
                report.warn(nil, message + "; the offline demo provider answers meanwhile")
            }
        }
        if let preferred = settings.preferredProvider {
            let declared = settings.providers.map(\.name) + [Settings.demoProviderName]
            if !declared.contains(preferred) {
                report.error(ConfigVariable.preferredProvider.name, "unknown provider '\(preferred)': expected one of \(declared.joined(separator: ", "))")
            } else if let provider = settings.providers.first(where: { $0.name == preferred }), !provider.isConfigured {
                report.warn(ConfigVariable.preferredProvider.name, "'\(preferred)' is not configured (\(provider.apiKeyVariable ?? "its key") is not set); other providers will be used")
            }
        }
    }

    private func checkQuotas(into report: inout ConfigReport) {
        let quotas = settings.quotas
        if quotas.hourlyUSD > quotas.dailyUSD {
            report.warn(ConfigVariable.hourlyQuota.name, "is above LLM_DAILY_QUOTA (\(quotas.hourlyUSD) > \(quotas.dailyUSD)), so the daily quota binds first")
        }
        if quotas.dailyUSD == 0 || quotas.globalDailyUSD == 0 {
            report.warn(quotas.globalDailyUSD == 0 ? ConfigVariable.globalDailyLimit.name : ConfigVariable.dailyQuota.name,
                        "is 0: every paid request will be refused")
        }
    }

    private func checkSecurity(into report: inout ConfigReport) {
        guard let key = settings.masterKey else {
            if settings.environment == .production {
                report.warn(ConfigVariable.masterKey.name, "not set: secrets cannot be stored encrypted in production; create one with `switchboard keygen`")
            }
            return
        }
        do {
            let master = try MasterKey(key.value)
            if !master.isGenerated {
                report.warn(ConfigVariable.masterKey.name, "is a passphrase, not a key from `switchboard keygen`; a generated key is stronger")
            }
        } catch {
            report.error(ConfigVariable.masterKey.name, "\(error)")
        }
    }

    /// Where `/metrics` (unauthenticated) and the webhook are served.
    private func checkListenAddresses(into report: inout ConfigReport) {
        let metricsVariable = ConfigVariable.metricsListen.name
        if let metricsListen = settings.metricsListen {
            if metricsListen == settings.httpListen {
                report.error(metricsVariable, "is SWITCHBOARD_HTTP_LISTEN's address too: give /metrics an address of its own, or leave it empty")
            }
            if !settings.features.metrics {
                report.warn(metricsVariable, "is set, but LLM_ENABLE_METRICS is false: only /healthz is served there")
            }
        } else if settings.features.metrics, let httpListen = settings.httpListen {
            if settings.telegram.webhookURL != nil && !httpListen.isLoopback {
                report.warn(metricsVariable, "is empty: /metrics (unauthenticated) is served beside the webhook on \(httpListen); give it a private address")
            }
        } else if settings.features.metrics {
            report.warn(ConfigVariable.enableMetrics.name, "true, but SWITCHBOARD_METRICS_LISTEN and SWITCHBOARD_HTTP_LISTEN are empty: no /metrics endpoint is served (stats still work)")
        }
    }

    private func checkTelegram(into report: inout ConfigReport) {
        checkListenAddresses(into: &report)
        if let webhook = settings.telegram.webhookURL {
            if settings.httpListen == nil {
                report.error(ConfigVariable.telegramWebhookURL.name, "is set, but SWITCHBOARD_HTTP_LISTEN is empty: say where the webhook server listens (e.g. 127.0.0.1:8080 behind your TLS proxy)")
            }
            // A local Bot API server also delivers over plain http; api.telegram.org only over https.
            if !webhook.lowercased().hasPrefix("https://") && settings.telegram.apiBaseURL == ConfigVariable.telegramAPIBaseURL.defaultValue {
                report.error(ConfigVariable.telegramWebhookURL.name, "Telegram delivers webhooks over https only (ports 443, 80, 88 or 8443), got '\(webhook)'")
            }
            if settings.telegram.token == nil {
                report.warn(ConfigVariable.telegramWebhookURL.name, "is set, but TELEGRAM_BOT_TOKEN is not: the bot does not run")
            }
        }
        guard let token = settings.telegram.token else { return }
        if token.value.wholeMatch(of: /[0-9]+:[A-Za-z0-9_-]+/) == nil {
            // Never echoed: say what is wrong with its shape only.
            let hint = token.value.contains(where: \.isWhitespace) ? " (it contains a space or a line break)"
                : token.value.contains(where: { "\"'".contains($0) }) ? " (it contains quotes)" : ""
            report.error(ConfigVariable.telegramBotToken.name, "is not a bot token\(hint): expected digits, a colon, then letters, digits, _ and - as @BotFather gives it")
        }
        if settings.telegram.allowedUsers.isEmpty && !settings.telegram.allowEveryone {
            if settings.environment == .production {
                report.error(ConfigVariable.telegramAllowedUsers.name, "empty in production: anyone who finds the bot could spend your quota; list the allowed user and group ids, or set TELEGRAM_ALLOW_EVERYONE=true if that is what you mean")
            } else {
                report.warn(ConfigVariable.telegramAllowedUsers.name, "empty: anyone who finds the bot can spend your quota; list the allowed user and group ids (TELEGRAM_ALLOW_EVERYONE=true if that is what you mean)")
            }
        }
        if settings.telegram.adminUsers.isEmpty {
            report.warn(ConfigVariable.telegramAdminUsers.name, "empty: nobody can use /stats, /providers or pin a model from Telegram")
        }
    }
}
