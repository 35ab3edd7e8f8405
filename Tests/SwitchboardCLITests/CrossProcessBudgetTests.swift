import Foundation
import Store
import Testing
import TestSupport

/// Budgets bind across processes sharing one database (the bot, `chat` from cron, the console),
/// and an attempt whose process is killed mid-stream is still paid for in the ledger.
@Suite struct CrossProcessBudgetTests {
    /// One answer from the fake costs 1 prompt and 1,000 output tokens of GPT-4o mini
    /// ($0.00060015); `chat` reserves its 1,024-token maximum, about $0.000616 a request.
    static let answerCost = (1 * 0.15 + 1_000 * 0.6) / 1_000_000
    /// Fits three reservations, not four.
    static let quota = 0.002

    func runner(_ directory: TemporaryDirectory, _ fake: FakeLLMServer) -> SwitchboardProcess {
        SwitchboardProcess(workingDirectory: directory.path, environment: [
            "OPENAI_API_KEY": "sk-budget", "OPENAI_BASE_URL": fake.baseURL, "SWITCHBOARD_DB": directory.file("db.sqlite3"),
            "LLM_HOURLY_QUOTA": "\(Self.quota)", "LLM_ENABLE_CACHING": "false",
        ])
    }

    @Test func concurrentChatProcessesNeverSpendMoreThanTheQuota() async throws {
        // Slow enough that every process reserves while the first ones are still streaming.
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "A paid answer.", pace: .milliseconds(300), promptTokens: 1, outputTokens: 1_000))
        let directory = try TemporaryDirectory()
        let runner = runner(directory, fake)
        _ = try await runner.run(["stats"])  // the database exists before the crowd arrives
        // 12 at once (90 by hand: the same outcome). Every process started competes with the
        // whole suite's start on a fresh two-core machine (cold caches): 24 pushed the suite's
        // start-up stall from ~5 s to ~10 s and its 15 s waits over.
        let processes = try (0..<12).map { index in try runner.start(["chat", "--model", "gpt-4o-mini", "question \(index)"]) }
        var answered = 0
        var refusals: [String] = []
        for process in processes {
            let result = try await process.wait(timeout: .seconds(120))
            if result.status == 0 { answered += 1 } else { refusals.append(result.stderr) }
        }
        let store = try SQLiteStore(path: directory.file("db.sqlite3"))
        let spent = try store.spend(since: Date().addingTimeInterval(-3_600)).total
        #expect(spent <= Self.quota + 1e-9, "spent $\(spent) of a $\(Self.quota) quota")
        #expect(answered == 3, "three answers fit the quota: \(answered) answered")
        #expect(abs(spent - Double(answered) * Self.answerCost) < 1e-9)
        #expect(refusals.allSatisfy { $0.contains("hourly quota") }, "\(refusals.first ?? "")")
        #expect(try store.budgetReservations().isEmpty, "every reservation was settled or released")
    }

    @Test func anAttemptKilledMidStreamIsChargedWhatWasReserved() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(
            text: "This answer never finishes, but its tokens are paid for.", promptTokens: 1, outputTokens: 1_000,
            fault: .stall(afterChunks: 2, for: .seconds(120))))
        let directory = try TemporaryDirectory()
        let runner = runner(directory, fake)
        let chat = try runner.start(["chat", "--model", "gpt-4o-mini", "Tell me a story"])
        try await waitUntil { !fake.requests.isEmpty }
        let store = try SQLiteStore(path: directory.file("db.sqlite3"))
        let reserved = try #require(try store.budgetReservations().first, "the reservation is in the database while the answer streams")
        chat.signal(SIGKILL)
        _ = try await chat.wait()
        // The next process to read the ledger settles what the dead one left.
        let stats = try await runner.run(["stats"])
        #expect(stats.status == 0, "\(stats.stderr)")
        let rows = try store.recentUsage(limit: 10)
        let interrupted = try #require(rows.first { $0.outcome == .interrupted }, "\(rows)")
        #expect(interrupted.model == "gpt-4o-mini" && interrupted.provider == "openai")
        #expect(abs(interrupted.costUSD - reserved.amountUSD) < 1e-12 && interrupted.costEstimated)
        #expect(interrupted.requestID == reserved.requestID && !interrupted.requestID.isEmpty)
        #expect(try store.budgetReservations().isEmpty)
        #expect(try store.spend(since: Date().addingTimeInterval(-3_600)).total > 0)
    }

    private func waitUntil(_ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try !condition() {
            guard ContinuousClock.now < deadline else { Issue.record("timed out"); return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
