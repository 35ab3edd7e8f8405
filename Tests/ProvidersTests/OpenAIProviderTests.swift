import Foundation
import HTTP
import Testing
import TestSupport

@testable import Providers

@Suite struct OpenAIProviderTests {
    typealias H = ProviderHarness

    @Test func streamsDeltasThenUsageAndSendsTheWireFormat() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "Hello there, human.", promptTokens: 2_000, outputTokens: 300, cachedTokens: 1_024))
        let result = try await H.run(H.provider(fake))
        #expect(result.text == "Hello there, human.")
        #expect(result.deltas == 3)
        #expect(result.usage == TokenUsage(promptTokens: 2_000, outputTokens: 300, cacheReadTokens: 1_024))
        #expect(result.stop == .endTurn)

        let sent = try #require(fake.requests.first)
        #expect(sent.path == "/v1/chat/completions")
        #expect(sent.headers["authorization"] == "Bearer \(H.apiKey)")
        #expect(sent.headers["openai-organization"] == "org-test")
        let body = try #require(sent.json)
        #expect(body["stream"] as? Bool == true)
        #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        #expect(body["max_completion_tokens"] as? Int == 50)
        #expect((body["messages"] as? [[String: String]])?.first == ["role": "system", "content": "Be brief."])
    }

    @Test func compatibleServersGetMaxTokensNoOrganizationAndEstimatedUsageWhenMissing() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "No usage from me.", includeUsage: false))
        let result = try await H.run(H.provider(fake, compatible: true))
        #expect(result.text == "No usage from me.")
        #expect(result.usage?.isEstimated == true)
        // The same estimator the Gateway budgets with, so an estimated cost agrees with its reservation.
        #expect(result.usage?.promptTokens == TokenEstimator.promptTokens(H.request.messages.map(\.content), encoding: .cl100k))
        #expect(result.usage?.outputTokens == TokenEstimator.tokens(in: "No usage from me.", encoding: .cl100k))
        #expect((result.usage?.outputTokens ?? 0) > 0)
        let sent = try #require(fake.requests.first)
        #expect(sent.json?["max_tokens"] as? Int == 50)
        #expect(sent.headers["openai-organization"] == nil)
    }

    @Test func nonStreamingCompletion() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "Whole answer.", promptTokens: 10, outputTokens: 3))
        let response = try await H.provider(fake).complete(H.request)
        #expect(response.text == "Whole answer.")
        #expect(response.usage == TokenUsage(promptTokens: 10, outputTokens: 3))
        #expect(fake.requests.first?.json?["stream"] as? Bool == false)
    }

    @Test func insufficientQuotaIsNotRetryable() async throws {
        let fake = try FakeLLMServer(.openAI, defaultScript: .failing(.status(429, type: "insufficient_quota", message: "You exceeded your current quota")))
        let error = await H.expectFailure(H.provider(fake), .insufficientQuota)
        #expect(error?.isRetryable == false)
    }
}
