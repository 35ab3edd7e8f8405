import Foundation
import Store
import Testing
import TestSupport

/// `switchboard run` killed with SIGKILL at chosen moments and started again on the same
/// database, as a crash or an OOM kill would do it: nothing is answered twice, nothing is paid
/// for twice, and an update that keeps killing the process is put aside.
@Suite struct CrashRecoveryTests {
    let directory: TemporaryDirectory
    let telegram: FakeTelegramServer
    let model: FakeLLMServer
    let runner: SwitchboardProcess

    init(script: FakeLLMScript) throws {
        directory = try TemporaryDirectory()
        telegram = try FakeTelegramServer()
        model = try FakeLLMServer(.openAI, defaultScript: script)
        runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
            "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": model.baseURL, "LLM_ENABLE_CACHING": "false",
            "SWITCHBOARD_DB": directory.file("db.sqlite3"),
            "TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.baseURL,
            "TELEGRAM_ALLOWED_USERS": "80,-800", "TELEGRAM_ADMIN_USERS": "80",
        ])
    }

    init() throws { try self.init(script: FakeLLMScript()) }

    /// Waits (up to 30 s) for `condition`, failing the test when it does not come.
    func waitFor(_ description: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(description); sent: \(telegram.sent.map(\.text.count)), model requests: \(model.requests.count)")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func killed(_ process: SwitchboardProcess.Running) async throws {
        process.signal(SIGKILL)
        _ = try await process.wait(timeout: .seconds(10))
    }

    @Test func anUpdateThatKilledTheProcessTwiceIsPutAsideNotRetriedForever() async throws {
        // The model never finishes: each run dies (SIGKILL) while handling the update.
        let h = try CrashRecoveryTests(script: .failing(.stall(afterChunks: 1, for: .seconds(120))))
        h.telegram.sendUpdate(text: "the message that kills", chatID: 80, userID: 80)
        for run in 1...2 {
            let bot = try h.runner.start(["run"])
            try await h.waitFor("model request \(run)") { h.model.requests.count == run }
            try await h.killed(bot)
        }
        let bot = try h.runner.start(["run"])
        try await h.waitFor("the apology") { h.telegram.sent.contains { $0.chatID == 80 } }
        h.telegram.sendUpdate(text: "and the next one", chatID: 80, userID: 80)
        try await h.waitFor("the next message handled") { h.model.requests.count == 3 }
        bot.signal(SIGKILL)
        let result = try await bot.wait(timeout: .seconds(10))

        #expect(h.model.requests.count == 3, "the third start did not pay the provider again for the same update")
        #expect(h.telegram.sent.first?.text.contains("could not answer this message") == true)
        let store = try SQLiteStore(path: h.directory.file("db.sqlite3"))
        let aside = try store.quarantinedUpdates()
        #expect(aside.map(\.attempts) == [3])
        #expect(aside.first?.reason == "the process stopped while handling it 2 times")
        let payload = String(decoding: aside.first?.payload ?? Data(), as: UTF8.self)
        #expect(payload.contains("the message that kills"), "kept as received")
        #expect(try store.recentErrors(limit: 5).contains { $0.kind == "quarantined" })
        #expect(result.stderr.contains("put aside"), "\(result.stderr)")
    }

    @Test func aKillBetweenThePartsOfALongAnswerSendsOnlyTheRest() async throws {
        // Over 4,096 characters in two parts, and within the bot's 1,024-token answer (a longer
        // stream is cut as a runaway): one token a word between the two markers.
        let long = "word1 " + Array(repeating: "apple", count: 898).joined(separator: " ") + " word900."
        let h = try CrashRecoveryTests(script: FakeLLMScript(text: long))
        h.telegram.hang("sendMessage", afterAccepting: 1)  // the first part arrives, the second hangs
        h.telegram.sendUpdate(text: "tell me everything", chatID: 80, userID: 80)
        let first = try h.runner.start(["run"])
        try await h.waitFor("the second part sent") { h.telegram.calledMethods.filter { $0 == "sendMessage" }.count == 2 }
        try await h.killed(first)
        #expect(h.telegram.sent.count == 1)

        let second = try h.runner.start(["run"])
        try await h.waitFor("the second part delivered") { h.telegram.sent.count >= 2 }
        h.telegram.sendUpdate(text: "thanks", chatID: 80, userID: 80)
        try await h.waitFor("the next answer") { h.telegram.sent.count >= 4 }
        try await h.killed(second)

        let parts = h.telegram.sent.filter { $0.chatID == 80 }.map(\.text)
        #expect(parts.count == 4, "two parts, then the two of the next answer; none twice")
        try #require(parts.count >= 2, "\(parts.count) parts")
        #expect(parts[0].hasPrefix("word1 ") && parts[1].hasSuffix("word900."))
        #expect(parts[0] + " " + parts[1] == long || parts[0] + parts[1] == long || parts[0] + "\n" + parts[1] == long)
        #expect(h.model.requests.count == 2, "the restart sent the text it had, without asking the model again")
    }

    @Test func aKillWhileAGroupPreviewShowsLeavesOneMessageNotTwo() async throws {
        let h = try CrashRecoveryTests(script: FakeLLMScript(text: "A streamed answer that takes its time to arrive in full.", pace: .milliseconds(40)))
        h.model.enqueue(FakeLLMScript(text: "A streamed answer that takes its time", fault: .stall(afterChunks: 6, for: .seconds(120))))
        h.telegram.sendUpdate(text: "@switchboard_test_bot explain", chatID: -800, userID: 80, chatType: "group")
        let first = try h.runner.start(["run"])
        try await h.waitFor("the preview") { h.telegram.sent.contains { $0.chatID == -800 } }
        try await h.killed(first)

        let second = try h.runner.start(["run"])
        try await h.waitFor("the final text") { h.telegram.sent.first { $0.chatID == -800 }?.text.hasSuffix("in full.") == true }
        try await h.killed(second)
        #expect(h.telegram.sent.filter { $0.chatID == -800 }.count == 1, "the answer replaced the preview an earlier run left")
    }
}
