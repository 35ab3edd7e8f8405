import Core
import Foundation
import Gateway
import Providers
import Store
import Testing
import TestSupport

@testable import Assistant

/// A reply is routed once: the decision that sized the context is the one used, and a fallback
/// whose window is smaller gets the context fitted again to its own.
@Suite struct AssistantRoutingTests {
    /// A long conversation (~15,000 tokens of recent history) whose routed model fails: the
    /// fallback, a compatible model with an 8,192-token window, gets a context re-fitted to that
    /// window and answers (before, routing on the whole prompt left it out, and the person got the
    /// "can't reach any of my language models" apology).
    @Test func aSmallerFallbackGetsTheContextFittedToItsWindow() async throws {
        let small = try FakeLLMServer(.openAI, defaultScript: FakeLLMScript(text: "From the small model."))
        let h = try AssistantHarness(
            script: .failing(.status(500, type: "server_error", message: "down")),
            environment: [
                "LLM_COMPATIBLE_PROVIDERS": "local", "LOCAL_BASE_URL": small.baseURL, "LOCAL_MODELS": "small",
                "LOCAL_PRICES": "small=20/40",  // dearer than gpt-4o-mini: a fallback, not the choice
            ])
        let (assistant, _, store) = try h.start()
        let long = String(repeating: "A sentence about the itinerary and its many stops. ", count: 30)  // ~300 tokens
        for index in 0..<25 {
            try store.recordExchange(
                Exchange(conversation: "cli:trip", channel: "cli", userMessage: "Turn \(index). \(long)", answer: "Reply \(index). \(long)", at: Date()),
                change: { $0.messageCount += 2 })
        }

        let result = await assistant.respond(AssistantRequest(conversation: .cli("trip"), channel: .cli, text: "So where do we stop first?"))
        #expect(!result.hadErrors, "\(result.errorDetails)")
        #expect(result.modelUsed == "small")
        let first = try #require(h.fake.requests.first?.json?["messages"] as? [[String: String]])
        let fitted = try #require(small.requests.first?.json?["messages"] as? [[String: String]])
        let tokens = TokenEstimator.promptTokens(fitted.map { $0["content"] ?? "" }, encoding: .o200k)
        #expect(tokens + 1_024 <= 8_192, "the fallback's context fits its window with room for the answer: \(tokens) tokens")
        #expect(fitted.count < first.count, "older turns left out for the small window: \(fitted.count) vs \(first.count)")
        #expect(fitted.last == ["role": "user", "content": "So where do we stop first?"], "the person's words always last and whole")
    }
}
