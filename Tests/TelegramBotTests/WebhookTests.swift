import Core
@testable import Endpoints
import Foundation
import HTTP
import Store
import Testing
import TestSupport

@testable import TelegramBot

/// The HTTP server of a test: started on a free port, stopped with the test.
struct RunningServer {
    let port: Int
    let task: Task<Void, any Error>

    static func start(_ server: @escaping @Sendable (ListenAddress) -> EndpointServer) async throws -> RunningServer {
        let (ready, continuation) = AsyncStream<Int>.makeStream()
        let task = Task { try await server(ListenAddress(host: "127.0.0.1", port: 0)).run { continuation.yield($0) } }
        var iterator = ready.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return RunningServer(port: port, task: task)
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// A request to the server: status and body.
    func request(_ method: String = "GET", _ path: String, headers: [(name: String, value: String)] = [], body: Data? = nil) async throws -> (Int, String) {
        let response = try await CurlHTTPClient().execute(HTTPRequest(method: method, url: base + path, headers: headers, body: body))
        let bytes = try await response.collect(upTo: 1 << 20)
        return (response.head.status, String(decoding: bytes, as: UTF8.self))
    }
}

@Suite struct WebhookTests {
    static let update = #"{"update_id": 900, "message": {"message_id": 1, "from": {"id": 31, "is_bot": false, "first_name": "ana"}, "chat": {"id": 31, "type": "private"}, "date": 1700000000, "text": "hi"}}"#

    @Test func updatesPostedToTheWebhookAreAnsweredAndTheSecretIsChecked() async throws {
        let h = try BotHarness()
        let bot = try h.makeBot()
        let server = try await RunningServer.start { EndpointServer(address: $0, webhook: ("/telegram/hook", bot), metrics: nil) }
        defer { server.task.cancel() }
        let running = Task { try await bot.runWebhook(url: server.base + "/telegram/hook") }
        defer { running.cancel() }
        await h.waitFor("setWebhook") { h.telegram.webhook != nil }
        #expect(h.telegram.webhook?.url == server.base + "/telegram/hook")
        #expect(h.telegram.webhook?.secret == bot.webhookSecret)
        #expect(bot.webhookSecret.count == 48)
        #expect(!h.telegram.calledMethods.contains("deleteWebhook"))

        // Telegram POSTs the update with the secret token; the answer follows.
        let sent = h.telegram.sendUpdate(text: "hi over the webhook", chatID: 30, userID: 30)
        await h.waitFor("the answer") { h.telegram.sent.contains { $0.chatID == 30 && $0.text == "Hello <b>there</b>!" } }
        await h.waitFor("the delivery's status") { h.telegram.webhookStatuses == [200] }
        #expect((h.model.requests.last?.json?["messages"] as? [[String: String]])?.last?["content"] == "hi over the webhook")
        #expect(sent == 1)

        // Anyone else: no secret, a wrong one, garbage, too large.
        let body = Data(Self.update.utf8)
        #expect(try await server.request("POST", "/telegram/hook", body: body).0 == 403)
        #expect(try await server.request("POST", "/telegram/hook", headers: [("X-Telegram-Bot-Api-Secret-Token", "guess")], body: body).0 == 403)
        let secret = [(name: "X-Telegram-Bot-Api-Secret-Token", value: bot.webhookSecret)]
        let (garbageStatus, garbageBody) = try await server.request("POST", "/telegram/hook", headers: secret, body: Data("<html>".utf8))
        #expect(garbageStatus == 400)
        #expect(garbageBody.contains("malformed"))
        #expect(try await server.request("POST", "/telegram/hook", headers: secret, body: Data(count: 2 << 20)).0 == 413)
        #expect(try await server.request("GET", "/telegram/hook").0 != 200)
        #expect(bot.counters.snapshot.webhookRejected == 3)
        #expect(!h.telegram.sent.contains { $0.chatID == 31 }, "nothing refused was answered")
        #expect(try await server.request("GET", "/healthz") == (200, "ok\n"))
        #expect(try await server.request("GET", "/metrics").0 == 404, "metrics are off")
    }

    @Test func anUpdateDeliveredTwiceIsAnsweredOnce() async throws {
        let h = try BotHarness()
        let bot = try h.makeBot()
        let server = try await RunningServer.start { EndpointServer(address: $0, webhook: ("/", bot), metrics: nil) }
        defer { server.task.cancel() }
        let running = Task { try await bot.runWebhook(url: server.base + "/") }
        defer { running.cancel() }
        await h.waitFor("setWebhook") { h.telegram.webhook != nil }
        let secret = [(name: "X-Telegram-Bot-Api-Secret-Token", value: bot.webhookSecret)]
        let first = try await server.request("POST", "/", headers: secret, body: Data(Self.update.utf8))
        let again = try await server.request("POST", "/", headers: secret, body: Data(Self.update.utf8))
        #expect(first.0 == 200 && again.0 == 200, "Telegram gets 200 for both, so it stops resending")
        await h.waitFor("the answer") { h.telegram.sent.contains { $0.chatID == 31 } }
        await bot.waitUntilIdle(within: .seconds(5))
        let third = try await server.request("POST", "/", headers: secret, body: Data(Self.update.utf8))
        #expect(third.0 == 200)
        await bot.waitUntilIdle(within: .seconds(5))
        #expect(h.telegram.sent.filter { $0.chatID == 31 }.count == 1)
        #expect(h.model.requests.count == 1)
    }

    @Test func anUpdateStoredBeforeACrashIsAnsweredAtTheNextStart() async throws {
        let h = try BotHarness()
        do {
            // Stored and acknowledged, but the process dies before the bot is up to answer it.
            let bot = try h.makeBot()
            let outcome = await bot.receiveWebhook(secretToken: bot.webhookSecret, body: Array(Self.update.utf8))
            #expect(outcome == .accepted)
            #expect(h.model.requests.isEmpty)
        }
        let restarted = try h.makeBot()
        let running = Task { try await restarted.runWebhook(url: "https://bot.example.com/hook") }
        defer { running.cancel() }
        await h.waitFor("the answer after the restart") { h.telegram.sent.contains { $0.chatID == 31 } }
        await restarted.waitUntilIdle(within: .seconds(5))
        #expect(try SQLiteStore(path: h.directory.file("db.sqlite3")).pendingUpdates().isEmpty, "the inbox is emptied once answered")
        #expect(h.model.requests.count == 1)
    }
}

@Suite struct MetricsEndpointTests {
    /// A Prometheus counter traps on a negative increment; whatever reaches the bus, the process lives.
    @Test func impossibleFiguresOnTheBusNeverReachACounter() async throws {
        let h = try BotHarness(environment: ["LLM_ENABLE_METRICS": "true"])
        let (bot, gateway, bus) = try h.makeStack()
        let metrics = MetricsExporter(bus: bus, gateway: gateway, bot: bot)
        for (tokens, cost) in [(-5_000_000, -60.0), (Int.min, Double.nan), (3, -.infinity), (7, 0.002)] {
            metrics.record(.responseCompleted(ResponseCompleted(
                request: .make(), conversation: .cli("m"), provider: "openai", model: "gpt-4o-mini", text: "x", inputTokens: tokens,
                outputTokens: tokens, costUSD: cost, costIsEstimated: false, fromCache: false, latency: .milliseconds(5), timeToFirstToken: nil)))
        }
        let text = String(decoding: metrics.render(), as: UTF8.self)
        #expect(text.contains(#"switchboard_tokens_total{provider="openai",model="gpt-4o-mini",direction="input"} 10"#), "\(text)")
        #expect(text.contains(#"switchboard_cost_usd_total{provider="openai",model="gpt-4o-mini"} 0.002"#), "\(text)")
        #expect(text.contains(#"switchboard_requests_total{provider="openai",model="gpt-4o-mini",cache="miss"} 4"#))
    }

    @Test func metricsShowRequestsTokensCostLatencyCircuitsAndTelegram429s() async throws {
        let h = try BotHarness(environment: ["LLM_ENABLE_METRICS": "true"])
        h.telegram.fail("sendMessage", code: 429, description: "Too Many Requests: retry after 1", retryAfter: 1)
        let (bot, gateway, bus) = try h.makeStack()
        let metrics = MetricsExporter(bus: bus, gateway: gateway, bot: bot)
        let recording = Task { await metrics.run() }
        defer { recording.cancel() }
        let server = try await RunningServer.start { EndpointServer(address: $0, webhook: nil, metrics: metrics) }
        defer { server.task.cancel() }
        let running = Task { try await bot.run() }
        defer { running.cancel() }
        h.telegram.sendUpdate(text: "hello", chatID: 40, userID: 40)
        await h.waitFor("the answer") { h.telegram.sent.contains { $0.chatID == 40 } }

        var text = ""
        for _ in 0..<100 {
            let (status, body) = try await server.request("GET", "/metrics")
            #expect(status == 200)
            text = body
            if text.contains("switchboard_requests_total") { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let lines = Set(text.split(separator: "\n").map(String.init))
        let model = try #require(h.model.requests.last?.json?["model"] as? String)
        #expect(lines.contains(#"switchboard_requests_total{provider="openai",model="\#(model)",cache="miss"} 1"#), "\(text)")
        #expect(lines.contains { $0.hasPrefix(#"switchboard_tokens_total{provider="openai",model="\#(model)",direction="output"} "#) && !$0.hasSuffix(" 0") })
        #expect(lines.contains { $0.hasPrefix(#"switchboard_cost_usd_total{provider="openai",model="\#(model)"} "#) })
        #expect(lines.contains(#"switchboard_request_duration_seconds_count{provider="openai"} 1"#))
        #expect(lines.contains(#"switchboard_request_duration_seconds_bucket{provider="openai",le="+Inf"} 1"#))
        #expect(lines.contains(#"switchboard_time_to_first_token_seconds_count{provider="openai"} 1"#))
        #expect(lines.contains(#"switchboard_circuit_state{provider="openai"} 0.0"#))
        #expect(lines.contains(#"switchboard_provider_enabled{provider="openai"} 1.0"#))
        #expect(lines.contains("switchboard_telegram_rate_limited_total 1"))
        #expect(lines.contains("switchboard_telegram_updates_total 1"))
        #expect(lines.contains("# TYPE switchboard_request_duration_seconds histogram"))
        #expect(!text.contains(h.telegram.token) && !text.contains("sk-test"), "no secrets")

        // Counters only grow between scrapes: a second scrape repeats, not doubles, the 429s.
        let (_, again) = try await server.request("GET", "/metrics")
        #expect(again.contains("switchboard_telegram_rate_limited_total 1\n"))
    }
}
