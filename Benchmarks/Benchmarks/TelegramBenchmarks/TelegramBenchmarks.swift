import Assistant
import Benchmark
import Core
import Foundation
import Gateway
import HTTP
import Providers
import Store
import TelegramBot
import TestSupport

// The Telegram issue's target: against the fake Bot API with strict limits (1 message/s per chat,
// 30/s overall, no bursts; drafts and edits count) and a model answering 150 tokens at 20 ms each
// after 300 ms, 20 chats × 5 messages at 2 messages/s: every answer complete, zero 429s, first
// visible text p95 ≤ 0.5 s after the user's message, complete answer p95 ≤ 1 s after the provider
// finished, memory under 60 MB RSS (this process holds both fakes too).
let benchmarks: @Sendable () -> Void = {
    let chats = Int(ProcessInfo.processInfo.environment["SB_BENCH_CHATS"] ?? "") ?? 20
    let perChat = 5
    Benchmark("\(chats) chats × \(perChat) messages at 2/s, strict Telegram limits", configuration: .init(
        metrics: [.wallClock, .peakMemoryResident, .custom("first text ms"), .custom("complete after provider ms"), .custom("incomplete answers"), .custom("429s")],
        timeUnits: .milliseconds, maxDuration: .seconds(180), maxIterations: 1
    )) { benchmark in
        let words = (1...150).map { "w\($0)" }
        let answer = words.joined(separator: " ")
        var script = FakeLLMScript(text: answer, pace: .milliseconds(20), outputTokens: 150)
        script.delay = .milliseconds(300)
        do {
            let directory = try TemporaryDirectory()
            let telegram = try FakeTelegramServer(limits: FakeTelegramServer.Limits())
            let model = try FakeLLMServer(.openAI, defaultScript: script)
            let settings = SettingsLoader(environment: [
                "OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": model.baseURL, "LLM_ENABLE_CACHING": "false",
                "SWITCHBOARD_DB": directory.file("bench.sqlite3"), "TELEGRAM_BOT_TOKEN": telegram.token,
                "TELEGRAM_API_BASE_URL": telegram.baseURL, "LOG_LEVEL": "ERROR",
            ]).load().0
            let store = try SQLiteStore(path: settings.databasePath)
            let client = CurlHTTPClient()
            var providers: [String: any LLMProvider] = [:]
            for configuration in settings.configuredProviders { providers[configuration.name] = ProviderFactory.make(configuration, transport: client) }
            let bus = EventBus<Event>()
            let gateway = Gateway(settings: settings, catalog: try ModelCatalog.bundled(), store: store, providers: providers, bus: bus)
            let assistant = Assistant(gateway: gateway, store: store, settings: settings)
            let bot = TelegramBot(api: BotAPI(baseURL: settings.telegram.apiBaseURL, token: telegram.token, transport: client), assistant: assistant, controls: gateway, store: store, settings: settings, bus: bus)
            let running = Task { try await bot.run() }

            // Message i goes to chat i % chats at i × 0.5 s: each chat writes every chats/2 seconds.
            var sentAt: [Int64: [(index: Int, at: ContinuousClock.Instant)]] = [:]
            let start = ContinuousClock.now
            for index in 0..<(chats * perChat) {
                try await Task.sleep(until: start + .milliseconds(500 * index))
                let chat = Int64(1_000 + index % chats)
                sentAt[chat, default: []].append((index, .now))
                telegram.sendUpdate(text: "question \(index)", chatID: chat, userID: chat)
            }
            let deadline = ContinuousClock.now + .seconds(60)
            func finals() -> [Telegram] { telegram.timeline.filter { $0.method == "sendMessage" && $0.text == answer }.map { Telegram(chat: $0.chatID, at: $0.at) } }
            while finals().count < chats * perChat && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            running.cancel()

            let timeline = telegram.timeline
            let finished = model.finishedAt
            var firstText: [Int] = []
            var complete: [Int] = []
            for (chat, times) in sentAt {
                for (turn, (index, asked)) in times.enumerated() {
                    let until = turn + 1 < times.count ? times[turn + 1].at : .now
                    let shown = timeline.filter { $0.chatID == chat && $0.at >= asked && $0.at < until }
                    if let first = shown.first { firstText.append(Int((first.at - asked) / .milliseconds(1))) }
                    if let providerDone = finished["question \(index)"],
                       let final = shown.first(where: { $0.method == "sendMessage" && $0.text == answer && $0.at >= providerDone }) {
                        complete.append(Int((final.at - providerDone) / .milliseconds(1)))
                    }
                }
            }
            if ProcessInfo.processInfo.environment["SB_BENCH_TRACE"] == "1", let (chat, times) = sentAt.first {
                // One chat's story, to see where time goes.
                for (index, asked) in times { FileHandle.standardError.write(Data("asked \(index) at \((asked - start) / .milliseconds(1)) ms, provider done at \(finished["question \(index)"].map { ($0 - start) / .milliseconds(1) } ?? -1) ms\n".utf8)) }
                for visible in timeline where visible.chatID == chat { FileHandle.standardError.write(Data("  \(visible.method) at \((visible.at - start) / .milliseconds(1)) ms: \(visible.text.prefix(24))\n".utf8)) }
            }
            for value in firstText { benchmark.measurement(.custom("first text ms"), value) }
            for value in complete { benchmark.measurement(.custom("complete after provider ms"), value) }
            benchmark.measurement(.custom("incomplete answers"), chats * perChat - finals().count)
            benchmark.measurement(.custom("429s"), telegram.tooManyRequests)
            let p95 = { (values: [Int]) -> Int in values.isEmpty ? -1 : values.sorted()[min(values.count - 1, Int(Double(values.count) * 0.95))] }
            FileHandle.standardError.write(Data("""
                telegram benchmark: \(finals().count)/\(chats * perChat) answers complete, \(telegram.tooManyRequests) 429s; \
                first text p50 \(firstText.sorted()[firstText.count / 2]) ms p95 \(p95(firstText)) ms max \(firstText.max() ?? -1) ms; \
                complete after provider p50 \(complete.isEmpty ? -1 : complete.sorted()[complete.count / 2]) ms p95 \(p95(complete)) ms max \(complete.max() ?? -1) ms (\(complete.count) matched); \(model.requests.count) provider requests

                """.utf8))
            telegram.stop()
            model.stop()
        } catch {
            fatalError("the telegram benchmark could not run: \(error)")
        }
    }
}

/// A final answer's arrival.
struct Telegram {
    let chat: Int64
    let at: ContinuousClock.Instant
}
