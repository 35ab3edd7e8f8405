import Foundation
import Testing
import TestSupport

@Suite struct CatalogCommandTests {
    @Test func modelsShowsAvailabilityByProviderAndRetirement() async throws {
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path, environment: ["OPENAI_API_KEY": "sk-x"])
        let result = try await runner.run(["models", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        func status(_ id: String) -> String? { rows.first { $0["id"] as? String == id }?["status"] as? String }
        #expect(status("gpt-4o-mini") == "available")
        #expect(status("claude-haiku-4-5") == "ANTHROPIC_API_KEY not set")
        #expect(status("claude-3-haiku-20240307") == "retired 2025-03-01")
        #expect(status("switchboard-demo") == "off (a real provider is configured)")
        let text = try await runner.run(["models"])
        #expect(text.stdout.contains("gpt-4o-mini"))
        #expect(text.stdout.hasPrefix("MODEL"))
    }

    @Test func tokensEstimatesAndPricesStandardInput() async throws {
        let directory = try TemporaryDirectory()
        let runner = SwitchboardProcess(workingDirectory: directory.path)
        let text = String(repeating: "The quick brown fox jumps over the lazy dog. ", count: 100)
        let result = try await runner.run(["tokens", "--model", "gpt-4o-mini", "--answer-tokens", "1000", "--json"], input: text)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let tokens = try #require(object["tokens"] as? Int)
        #expect((900...1_100).contains(tokens), "\(tokens)")  // 10 tokens a sentence
        let prompt = try #require(object["prompt_tokens"] as? Int)
        let cost = try #require(object["cost_usd"] as? Double)
        #expect(abs(cost - (Double(prompt) * 0.15 + 1000 * 0.60) / 1e6) < 1e-12)
        let unknown = try await runner.run(["tokens", "--model", "gpt-9"], input: "hi")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("not in the model catalog"))
    }
}
