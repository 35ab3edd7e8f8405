import Providers
import Testing

@testable import Gateway

@Suite struct CostCalculatorTests {
    // Golden examples from shared/reference/providers.md.
    @Test func anthropicCacheWritesAreBilledOnceAtTheWritePrice() {
        let price = ModelPrice.perMillion(input: 3, output: 15, cacheRead: 0.30, cacheWrite: 3.75)
        // input_tokens 3 (uncached) + cache_creation 12,304 + cache_read 0 = 12,307 prompt tokens.
        let usage = TokenUsage(promptTokens: 12_307, outputTokens: 550, cacheReadTokens: 0, cacheWriteTokens: 12_304)
        #expect(abs(CostCalculator.cost(of: usage, at: price) - 0.054399) < 1e-9)
    }

    @Test func openAICachedTokensAreASubsetOfThePrompt() {
        let price = ModelPrice.perMillion(input: 0.15, output: 0.60, cacheRead: 0.075)
        let usage = TokenUsage(promptTokens: 2_000, outputTokens: 300, cacheReadTokens: 1_024)
        #expect(abs(CostCalculator.cost(of: usage, at: price) - 0.0004032) < 1e-10)
    }

    @Test func missingCachePricesFallBackToTheInputPrice() {
        let price = ModelPrice.perMillion(input: 1, output: 2)
        let usage = TokenUsage(promptTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 500_000)
        #expect(abs(CostCalculator.cost(of: usage, at: price) - 1.0) < 1e-9)
    }

    @Test func reservationCoversTheWholePromptAndMaximumOutput() {
        let price = ModelPrice.perMillion(input: 2.5, output: 10)
        #expect(abs(CostCalculator.reservation(promptTokens: 1_000, maxOutputTokens: 500, at: price) - 0.0075) < 1e-12)
    }
}
