import Foundation
import HTTP
import Testing
import TestSupport

@testable import Providers

@Suite struct AnthropicProviderTests {
    typealias H = ProviderHarness

    @Test func streamsTheEventSequenceWithCumulativeUsageAndCacheTokens() async throws {
        // The golden example of providers.md: input 3, cache writes 12,304, output 550.
        let fake = try FakeLLMServer(.anthropic, defaultScript: FakeLLMScript(text: "Bonjour, tout le monde.", promptTokens: 12_307, outputTokens: 550, cacheWriteTokens: 12_304))
        let result = try await H.run(H.provider(fake))
        #expect(result.text == "Bonjour, tout le monde.")
        #expect(result.deltas == 4)
        // message_delta usage is cumulative: 550, not 275 + 550.
        #expect(result.usage == TokenUsage(promptTokens: 12_307, outputTokens: 550, cacheReadTokens: 0, cacheWriteTokens: 12_304))
        #expect(result.stop == .endTurn)

        let sent = try #require(fake.requests.first)
        #expect(sent.path == "/v1/messages")
        #expect(sent.headers["x-api-key"] == H.apiKey)
        #expect(sent.headers["anthropic-version"] == "2023-06-01")
        #expect(sent.headers["authorization"] == nil)
        let body = try #require(sent.json)
        #expect(body["system"] as? String == "Be brief.")
        #expect(body["max_tokens"] as? Int == 50)
        #expect((body["messages"] as? [[String: String]]) == [["role": "user", "content": "Hi there"]])
    }

    @Test func systemIsLiftedAndSameRoleMessagesMerged() {
        let shaped = AnthropicProvider.shape([
            .system("Rule one."), .assistant("Earlier answer."), .user("First."), .user("Second."),
            .system("Rule two."), .assistant(""), .assistant("Reply."), .user("Third."),
        ])
        #expect(shaped.system == "Rule one.\n\nRule two.")
        #expect(shaped.messages == [
            ["role": "user", "content": AnthropicProvider.continuationPrompt],
            ["role": "assistant", "content": "Earlier answer."],
            ["role": "user", "content": "First.\n\nSecond."],
            ["role": "assistant", "content": "Reply."],
            ["role": "user", "content": "Third."],
        ])
    }

    @Test func cacheReadsCountTowardsThePrompt() async throws {
        let fake = try FakeLLMServer(.anthropic, defaultScript: FakeLLMScript(text: "Cached.", promptTokens: 5_000, outputTokens: 10, cachedTokens: 4_000))
        let result = try await H.run(H.provider(fake))
        #expect(result.usage == TokenUsage(promptTokens: 5_000, outputTokens: 10, cacheReadTokens: 4_000))
        #expect(result.usage?.uncachedPromptTokens == 1_000)
    }

    @Test func nonStreamingMessage() async throws {
        let fake = try FakeLLMServer(.anthropic, defaultScript: FakeLLMScript(text: "Whole answer.", promptTokens: 10, outputTokens: 3))
        let response = try await H.provider(fake).complete(H.request)
        #expect(response.text == "Whole answer.")
        #expect(response.usage == TokenUsage(promptTokens: 10, outputTokens: 3))
        #expect(response.stopReason == .endTurn)
    }
}
