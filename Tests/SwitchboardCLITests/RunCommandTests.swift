import Foundation
import HTTP
import Testing
import TestSupport

/// `switchboard run` as an operator runs it: the real binary, the fake Bot API and a fake model.
@Suite struct RunCommandTests {
    /// A port nothing listens on right now (bound, read, released).
    static func freePort() throws -> Int {
        try ReservedPort.release()
    }

    static func get(_ url: String) async throws -> (Int, String) {
        let response = try await CurlHTTPClient().execute(HTTPRequest(url: url))
        return (response.head.status, String(decoding: try await response.collect(upTo: 1 << 20), as: UTF8.self))
    }

    @Test func theBotTakesUpdatesOnItsWebhookServesMetricsAndStopsOnSIGTERM() async throws {
        let directory = try TemporaryDirectory()
        let telegram = try FakeTelegramServer()
        defer { telegram.stop() }
        let model = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "Hi from the webhook."))
        defer { model.stop() }
        let port = try Self.freePort()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
            "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": model.baseURL,
            "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.baseURL,
            "TELEGRAM_ALLOWED_USERS": "50", "TELEGRAM_ADMIN_USERS": "50",
            "TELEGRAM_WEBHOOK_URL": "http://127.0.0.1:\(port)/telegram", "TELEGRAM_WEBHOOK_SECRET": "s3cret_token-1",
            "SWITCHBOARD_HTTP_LISTEN": "127.0.0.1:\(port)", "LLM_ENABLE_METRICS": "true",
        ])
        let bot = try runner.start(["run"])
        let deadline = ContinuousClock.now + .seconds(30)
        while telegram.webhook == nil && ContinuousClock.now < deadline && bot.isRunning {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(telegram.webhook?.url == "http://127.0.0.1:\(port)/telegram")
        #expect(telegram.webhook?.secret == "s3cret_token-1")

        telegram.sendUpdate(text: "hello", chatID: 50, userID: 50)
        while !telegram.sent.contains(where: { $0.chatID == 50 }) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(telegram.sent.first { $0.chatID == 50 }?.text == "Hi from the webhook.")
        while telegram.webhookStatuses.isEmpty && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(telegram.webhookStatuses == [200])

        let (status, metrics) = try await Self.get("http://127.0.0.1:\(port)/metrics")
        #expect(status == 200)
        #expect(metrics.contains(#"switchboard_requests_total{provider="openai""#))
        #expect(metrics.contains("switchboard_telegram_updates_total 1"))

        bot.signal(SIGTERM)
        let result = try await bot.wait(timeout: .seconds(30))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("intake=webhook"))
        #expect(result.stderr.contains("stopping"))
        #expect(!result.stderr.contains("s3cret_token-1") && !result.stderr.contains(telegram.token), "no secrets in the log")
    }

    /// `/metrics` on an address of its own: there with `/healthz`, and not beside the webhook.
    @Test func metricsCanBeServedApartFromTheWebhook() async throws {
        let directory = try TemporaryDirectory()
        let telegram = try FakeTelegramServer()
        defer { telegram.stop() }
        let (webhookPort, metricsPort) = (try Self.freePort(), try Self.freePort())
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
            "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.baseURL,
            "TELEGRAM_WEBHOOK_URL": "http://127.0.0.1:\(webhookPort)/telegram",
            "SWITCHBOARD_HTTP_LISTEN": "127.0.0.1:\(webhookPort)", "SWITCHBOARD_METRICS_LISTEN": "127.0.0.1:\(metricsPort)",
            "LLM_ENABLE_METRICS": "true",
        ])
        let bot = try runner.start(["run"])
        let deadline = ContinuousClock.now + .seconds(30)
        while telegram.webhook == nil && ContinuousClock.now < deadline && bot.isRunning {
            try await Task.sleep(for: .milliseconds(50))
        }
        let (status, metrics) = try await Self.get("http://127.0.0.1:\(metricsPort)/metrics")
        #expect(status == 200)
        #expect(metrics.contains("switchboard_telegram_updates_total"))
        #expect(try await Self.get("http://127.0.0.1:\(metricsPort)/healthz") == (200, "ok\n"))
        #expect(try await Self.get("http://127.0.0.1:\(webhookPort)/metrics").0 == 404, "not beside the webhook")
        #expect(try await Self.get("http://127.0.0.1:\(webhookPort)/healthz").0 == 200)

        bot.signal(SIGTERM)
        let result = try await bot.wait(timeout: .seconds(30))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("127.0.0.1:\(metricsPort)"), "the metrics server says where it listens")
    }

    @Test func runLogsWhatConfigCheckWouldWarnAbout() async throws {
        let directory = try TemporaryDirectory()
        let telegram = try FakeTelegramServer()
        defer { telegram.stop() }
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
            "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.baseURL,
            "LLM_DAILY_QOUTA": "3", "LLM_ENABLE_METRICS": "true",
        ])
        let bot = try runner.start(["run"])
        let deadline = ContinuousClock.now + .seconds(30)
        while !telegram.calledMethods.contains("getUpdates") && ContinuousClock.now < deadline && bot.isRunning {
            try await Task.sleep(for: .milliseconds(50))
        }
        bot.signal(SIGTERM)
        let result = try await bot.wait(timeout: .seconds(30))
        #expect(result.stderr.contains("LLM_DAILY_QOUTA"), "a misspelt variable: \(result.stderr)")
        #expect(result.stderr.contains("TELEGRAM_ALLOWED_USERS: empty"), "an open bot")
        #expect(result.stderr.contains("LLM_ENABLE_METRICS"), "metrics without a listener")
    }

    @Test func anAddressInUseIsAClearErrorNotAHang() async throws {
        let directory = try TemporaryDirectory()
        let telegram = try FakeTelegramServer()
        defer { telegram.stop() }
        // The fake's own port is taken: the bot's server cannot listen there.
        let taken = try #require(URLComponents(string: telegram.baseURL)?.port)
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
            "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.baseURL,
            "SWITCHBOARD_HTTP_LISTEN": "127.0.0.1:\(taken)", "LLM_ENABLE_METRICS": "true",
        ])
        let result = try await runner.run(["run"], timeout: .seconds(30))
        #expect(result.status == 1)
        #expect(result.stderr.contains("cannot serve on 127.0.0.1:\(taken) (SWITCHBOARD_HTTP_LISTEN)"), "\(result.stderr)")
    }

    @Test func aWebhookWithoutAListenAddressIsAConfigurationError() async throws {
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
            "TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_WEBHOOK_URL": "http://bot.example.com/hook",
            "TELEGRAM_WEBHOOK_SECRET": "has spaces!",
        ])
        let result = try await runner.run(["config", "check"])
        #expect(result.status != 0)
        #expect(result.stdout.contains("SWITCHBOARD_HTTP_LISTEN is empty"), "\(result.stdout)")
        #expect(result.stdout.contains("https only"))
        #expect(result.stdout.contains("TELEGRAM_WEBHOOK_SECRET"))
        #expect(!result.stdout.contains("has spaces!"), "the secret is never echoed")
    }
}
