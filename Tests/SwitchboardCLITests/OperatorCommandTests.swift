import Foundation
import Store
import Testing
import TestSupport

@Suite struct OperatorCommandTests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func statsReadsWhatChatsRecorded() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "Answer.", promptTokens: 2_000, outputTokens: 300, cachedTokens: 1_024))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": fake.baseURL])
        // As long as the 2,000 prompt tokens the fake reports (larger usage would be clamped).
        let question = "Question one. " + String(repeating: "The Seine flows through Paris. ", count: 400).trimmingCharacters(in: .whitespaces)
        _ = try await runner.run(["chat", question])
        _ = try await runner.run(["chat", question])  // from the cache
        let stats = try json(try await runner.run(["stats", "--json"]).stdout)
        #expect(stats["requests"] as? Int == 2)
        #expect(stats["success_rate"] as? Double == 1)
        #expect(stats["cache_hit_rate"] as? Double == 0.5)
        #expect(abs((stats["total_cost"] as? Double ?? 0) - 0.0004032) < 1e-10)
        #expect(abs((stats["cache_savings"] as? Double ?? 0) - 0.0004032) < 1e-10)
        #expect(stats["personality_adaptations"] as? Int != nil)
        #expect((stats["avg_response_time"] as? Double ?? -1) >= 0)
        let openai = try #require((stats["providers"] as? [String: Any])?["openai"] as? [String: Any])
        #expect(openai["enabled"] as? Bool == true)
        #expect(openai["circuit"] as? String == "closed")
        #expect(abs((openai["spend_day"] as? Double ?? 0) - 0.0004032) < 1e-10)
        #expect(openai["quota_day"] as? Double == 100)
        #expect(fake.requests.count == 1)
    }

    @Test func controlsPersistAndChangeRouting() async throws {
        let openAI = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "From OpenAI."))
        let anthropic = try FakeLLMServer(.anthropic, defaultScript: FakeLLMScript(text: "From Anthropic."))
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: [
            "OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": openAI.baseURL, "ANTHROPIC_API_KEY": "sk-y", "ANTHROPIC_BASE_URL": anthropic.baseURL,
        ])
        #expect(try await runner.run(["chat", "one"]).stdout == "From OpenAI.\n")
        #expect(try await runner.run(["provider", "disable", "openai"]).stdout == "Provider openai disabled.\n")
        #expect(try await runner.run(["chat", "two"]).stdout == "From Anthropic.\n")
        _ = try await runner.run(["provider", "enable", "openai"])
        #expect(try await runner.run(["pin", "claude-haiku-4-5"]).status == 0)
        let pinned = try await runner.run(["chat", "three"])
        #expect(pinned.stdout == "From Anthropic.\n")
        #expect(pinned.stderr.contains("claude-haiku-4-5"))
        _ = try await runner.run(["pin", "auto"])
        #expect(try await runner.run(["chat", "four"]).stdout == "From OpenAI.\n")
        #expect(try await runner.run(["quota", "openai", "--daily", "42", "--hourly", "4"]).stdout == "Quota of openai set: $4.00 an hour $42.00 a day.\n")
        let shown = try await runner.run(["config", "show"])
        #expect(shown.stdout.contains("$4.00 an hour, $42.00 a day (set by the operator)"))
    }

    @Test(arguments: [
        (["pin", "gpt-9"], "unknown model 'gpt-9'"),
        (["pin", "claude-3-haiku-20240307"], "is retired"),
        (["quota", "openai", "--daily=-5"], "0 or more US dollars"),
        (["quota", "cohere", "--daily", "5"], "unknown provider 'cohere'"),
        (["provider", "disable", "cohere"], "unknown provider 'cohere'"),
    ])
    func badControlsAreClearErrors(arguments: [String], expected: String) async throws {
        let directory = try TemporaryDirectory()
        let result = try await SwitchboardProcess(workingDirectory: directory.path).run(arguments)
        #expect(result.status == 1)
        #expect(result.stderr.contains(expected), "\(result.stderr)")
    }

    @Test func healthIsHealthyOnlyWhenAProviderCanAnswer() async throws {
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path)
        let healthy = try await runner.run(["health", "--json"])
        #expect(healthy.status == 0)
        #expect(try json(healthy.stdout)["status"] as? String == "healthy")
        _ = try await runner.run(["provider", "disable", "demo"])
        let unhealthy = try await runner.run(["health", "--json"])
        #expect(unhealthy.status == 1)
        let object = try json(unhealthy.stdout)
        #expect(object["status"] as? String == "unhealthy")
        #expect((object["errors"] as? [String])?.first?.contains("every provider is disabled") == true)
        var broken = runner
        broken.environment["LLM_DAILY_QUOTA"] = "abc"
        #expect(try await broken.run(["health"]).status == 1)
    }

    /// A database that cannot record progress (a trigger refusing the write, as a full disk would)
    /// makes `health` unhealthy, whichever process asks.
    @Test func healthIsUnhealthyWhenTheDatabaseCannotRecordProgress() async throws {
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["SWITCHBOARD_DB": directory.file("db.sqlite3")])
        #expect(try await runner.run(["health"]).status == 0)
        try SQLiteStore(path: directory.file("db.sqlite3")).executeForTesting(
            "CREATE TRIGGER refuse BEFORE INSERT ON telegram_state BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END")
        let result = try await runner.run(["health"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("status: unhealthy") && result.stdout.contains("the database cannot record progress"), "\(result.stdout)")
    }
}
