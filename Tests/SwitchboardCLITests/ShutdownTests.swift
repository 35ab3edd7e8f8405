import Foundation
import Store
import Testing
import TestSupport

/// What SIGTERM promises: intake stops, the answer in flight finishes or is cancelled within
/// SWITCHBOARD_SHUTDOWN_TIMEOUT, queued updates stay in the inbox for the next start, and a second
/// signal exits at once.
@Suite struct ShutdownTests {
    struct Bot {
        let directory: TemporaryDirectory
        let telegram: FakeTelegramServer
        let model: FakeLLMServer
        let runner: SwitchboardProcess

        init(script: FakeLLMScript, shutdownTimeout: Int) throws {
            directory = try TemporaryDirectory()
            telegram = try FakeTelegramServer()
            model = try FakeLLMServer(.openAI, defaultScript: script)
            runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
                "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": model.baseURL, "LLM_ENABLE_CACHING": "false",
                "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.baseURL,
                "TELEGRAM_ALLOWED_USERS": "70", "SWITCHBOARD_DB": directory.file("db.sqlite3"),
                "SWITCHBOARD_SHUTDOWN_TIMEOUT": "\(shutdownTimeout)",
            ])
        }

        func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while !condition() {
                guard ContinuousClock.now < deadline else { Issue.record("timed out waiting for \(what)"); return }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// Ten messages of one chat queued behind a slow answer; SIGTERM with a 1 s deadline: the
    /// process exits, the answer in flight is cancelled (no attempt counted against it), no other
    /// answer is started, and all ten wait in the inbox.
    @Test func sigtermLeavesQueuedUpdatesInTheInboxAndExitsWithinTheDeadline() async throws {
        let answer = (1...40).map { "word\($0)" }.joined(separator: " ")
        let bot = try Bot(script: FakeLLMScript(text: answer), shutdownTimeout: 1)
        bot.model.enqueue(FakeLLMScript(text: answer, pace: .milliseconds(250)))  // the first: 10 s
        let process = try bot.runner.start(["run"])
        for index in 1...10 { bot.telegram.sendUpdate(text: "message \(index)", chatID: 70, userID: 70) }
        try await bot.waitUntil("the first answer to start") { !bot.model.requests.isEmpty }
        process.signal(SIGTERM)
        let result = try await process.wait(timeout: .seconds(20))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("cancelled at the deadline"), "\(result.stderr)")
        #expect(bot.model.requests.count == 1, "no answer started after the signal")
        let store = try SQLiteStore(path: bot.directory.file("db.sqlite3"))
        let pending = try store.pendingUpdates()
        let sentBeforeRestart = bot.telegram.sent.filter { $0.chatID == 70 }.map(\.text)
        #expect(sentBeforeRestart.isEmpty, "nothing final sent for the cancelled answer: \(sentBeforeRestart)")
        #expect(pending.count == 10, "every unanswered update waits for the next start: \(pending.map(\.updateID))")
        #expect(try store.quarantinedUpdates().isEmpty)
        // Started again: each answered once, none put aside for "crashing" twice.
        let again = try bot.runner.start(["run"])
        try await bot.waitUntil("ten answers") { bot.telegram.sent.filter { $0.chatID == 70 && $0.text.hasSuffix("word40") }.count == 10 }
        again.signal(SIGTERM)
        _ = try await again.wait(timeout: .seconds(60))
        #expect(try store.pendingUpdates().isEmpty)
        #expect(bot.model.requests.count == 11, "the cancelled one asked again, the others once")
    }

    /// A stalled answer and a long deadline: the second signal exits now, not in a minute.
    @Test func aSecondSignalExitsAtOnce() async throws {
        let bot = try Bot(script: FakeLLMScript(text: "never finishes", fault: .stall(afterChunks: 1, for: .seconds(90))), shutdownTimeout: 120)
        let process = try bot.runner.start(["run"])
        bot.telegram.sendUpdate(text: "hello", chatID: 70, userID: 70)
        try await bot.waitUntil("the answer to start") { !bot.model.requests.isEmpty }
        process.signal(SIGTERM)
        process.signal(SIGINT)
        let result = try await process.wait(timeout: .seconds(20))
        #expect(result.status == 130, "\(result.stderr)")
        #expect(result.stderr.contains("second signal"), "\(result.stderr)")
    }
}
