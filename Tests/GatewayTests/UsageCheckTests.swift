import Core
import Foundation
import Providers
import Store
import Testing
import TestSupport

@testable import Gateway

@Suite struct UsageCheckTests {
    static let bounds = UsageCheck.Bounds(promptTokens: 100, outputTokens: 200)
    static let estimate = TokenUsage(promptTokens: 80, outputTokens: 30, isEstimated: true)

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let reported: TokenUsage
        let expected: TokenUsage
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "plausible counts are kept", reported: TokenUsage(promptTokens: 90, outputTokens: 150, cacheReadTokens: 40),
             expected: TokenUsage(promptTokens: 90, outputTokens: 150, cacheReadTokens: 40)),
        Case(name: "negative counts become the estimate", reported: TokenUsage(promptTokens: -5_000_000, outputTokens: -100_000_000),
             expected: TokenUsage(promptTokens: 80, outputTokens: 30, isEstimated: true)),
        Case(name: "Int.max is cut to the reservation", reported: TokenUsage(promptTokens: .max, outputTokens: .max),
             expected: TokenUsage(promptTokens: 100, outputTokens: 200, isEstimated: true)),
        Case(name: "negative cached tokens count as none", reported: TokenUsage(promptTokens: 15, outputTokens: 7, cacheReadTokens: -100_000_000),
             expected: TokenUsage(promptTokens: 15, outputTokens: 7, isEstimated: true)),
        Case(name: "cached tokens beyond the prompt are cut to it", reported: TokenUsage(promptTokens: 15, outputTokens: 7, cacheReadTokens: 1_000, cacheWriteTokens: 9),
             expected: TokenUsage(promptTokens: 15, outputTokens: 7, cacheReadTokens: 15, cacheWriteTokens: 0, isEstimated: true)),
        Case(name: "reads and writes together fit the prompt", reported: TokenUsage(promptTokens: 50, outputTokens: 7, cacheReadTokens: 30, cacheWriteTokens: 40),
             expected: TokenUsage(promptTokens: 50, outputTokens: 7, cacheReadTokens: 30, cacheWriteTokens: 20, isEstimated: true)),
    ]

    @Test(arguments: cases) func reportsAreBoundedByWhatTheRequestCouldUse(_ example: Case) {
        #expect(UsageCheck.checked(example.reported, within: Self.bounds, estimate: Self.estimate) == example.expected)
    }

    @Test func aBoundedReportNeverCostsMoreThanItsReservation() {
        let price = ModelPrice.perMillion(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75)
        let reservation = CostCalculator.reservation(promptTokens: Self.bounds.promptTokens, maxOutputTokens: Self.bounds.outputTokens, at: price)
        for reported in [TokenUsage(promptTokens: .max, outputTokens: .max, cacheWriteTokens: .max), TokenUsage(promptTokens: 100, outputTokens: 200, cacheWriteTokens: 100)] {
            let cost = CostCalculator.cost(of: UsageCheck.checked(reported, within: Self.bounds, estimate: Self.estimate), at: price)
            #expect(cost >= 0 && cost <= reservation + 1e-15, "\(cost) against \(reservation)")
        }
    }
}

/// Providers that misreport usage, through the whole Gateway: the ledger and quotas hold.
@Suite struct MisreportedUsageTests {
    /// At gpt-4o-mini prices the reservation of "Hi" with 200 output tokens is about $0.000124.
    static let mostARequestCosts = 0.00013

    func spendToday(_ h: GatewayHarness) throws -> Double {
        try h.store.spend(since: Date(timeIntervalSince1970: 0)).total
    }

    @Test func negativeCountsNeitherRecordNegativeSpendNorLiftAQuota() async throws {
        let h = try GatewayHarness(
            openAI: FakeLLMScript(text: "Fine.", rawUsage: #"{"prompt_tokens": -5000000, "completion_tokens": -100000000, "total_tokens": -105000000}"#),
            environment: ["LLM_PREFERRED_PROVIDER": "openai"])
        let result = try #require(h.result(await h.run(h.request())))
        #expect(result.provider == "openai")
        #expect(result.costUSD >= 0 && result.costUSD <= Self.mostARequestCosts)
        #expect(result.usage.isEstimated)
        let row = try #require(try h.store.recentUsage(limit: 1).first)
        #expect(row.promptTokens >= 0 && row.outputTokens >= 0 && row.costUSD >= 0 && row.costEstimated)
        #expect(try spendToday(h) >= 0)
        #expect(try h.store.recentErrors(limit: 5).contains { $0.kind == "implausible_usage" && $0.message.contains("-5000000") })
    }

    @Test func intMaxCountsCostNoMoreThanTheReservationAndTheProviderStaysUsable() async throws {
        let h = try GatewayHarness(
            openAI: FakeLLMScript(text: "Fine.", rawUsage: #"{"prompt_tokens": 9223372036854775807, "completion_tokens": 9223372036854775807, "prompt_tokens_details": {"cached_tokens": 9223372036854775807}}"#),
            environment: ["LLM_PREFERRED_PROVIDER": "openai", "LLM_DAILY_QUOTA": "1"])
        let first = try #require(h.result(await h.run(h.request("first"))))
        #expect(first.costUSD <= Self.mostARequestCosts && first.usage.isEstimated)
        #expect(try spendToday(h) <= Self.mostARequestCosts)
        let second = try #require(h.result(await h.run(h.request("second"))))
        #expect(second.provider == "openai", "not blocked for the day: \(second.errorDetails)")
    }

    @Test func aNegativeCachedCountDoesNotPriceFifteenTokensAtDollars() async throws {
        let h = try GatewayHarness(
            openAI: FakeLLMScript(text: "Fine.", rawUsage: #"{"prompt_tokens": 15, "completion_tokens": 7, "prompt_tokens_details": {"cached_tokens": -100000000}}"#),
            environment: ["LLM_PREFERRED_PROVIDER": "openai"])
        let result = try #require(h.result(await h.run(h.request())))
        #expect(result.costUSD < 0.0001, "\(result.costUSD)")
        #expect(result.usage.cacheReadTokens == 0 && result.usage.isEstimated)
    }

    @Test(arguments: [
        #"{"prompt_tokens": 12.5, "completion_tokens": 7}"#,
        #"{"prompt_tokens": "12", "completion_tokens": 7}"#,
        #"{"prompt_tokens": 12, "completion_tokens": 1e30}"#,
    ])
    func nonIntegerCountsAreEstimated(_ usage: String) async throws {
        let h = try GatewayHarness(openAI: FakeLLMScript(text: "Fine.", rawUsage: usage), environment: ["LLM_PREFERRED_PROVIDER": "openai"])
        let result = try #require(h.result(await h.run(h.request())))
        #expect(!result.hadErrors && result.provider == "openai")
        #expect(result.usage.isEstimated && result.usage.promptTokens > 0 && result.usage.outputTokens > 0)
        #expect(result.costUSD > 0 && result.costUSD <= Self.mostARequestCosts)
    }

    /// Anthropic's counts arrive in two events; one that is not a whole number makes the usage estimated.
    @Test(arguments: [
        #"{"input_tokens": 12.5, "output_tokens": 7}"#,
        #"{"input_tokens": 12, "output_tokens": "7"}"#,
        #"{"input_tokens": 12, "output_tokens": 7, "cache_read_input_tokens": 1e30}"#,
    ])
    func nonIntegerAnthropicCountsAreEstimated(_ usage: String) async throws {
        let h = try GatewayHarness(anthropic: FakeLLMScript(text: "Fine.", rawUsage: usage), environment: ["LLM_PREFERRED_PROVIDER": "anthropic"])
        let result = try #require(h.result(await h.run(h.request())))
        #expect(!result.hadErrors && result.provider == "anthropic")
        #expect(result.usage.isEstimated && result.usage.promptTokens > 0 && result.usage.outputTokens > 0)
    }

    @Test func anthropicIntMaxCachedCountsDoNotTrapOrOverbill() async throws {
        let h = try GatewayHarness(
            anthropic: FakeLLMScript(text: "Fine.", rawUsage: #"{"input_tokens": 9223372036854775807, "output_tokens": 9223372036854775807, "cache_read_input_tokens": 9223372036854775807, "cache_creation_input_tokens": -3}"#),
            environment: ["LLM_PREFERRED_PROVIDER": "anthropic"])
        let result = try #require(h.result(await h.run(h.request())))
        #expect(result.provider == "anthropic")
        // claude-haiku-4-5: $1 input, $5 output per million; 200 output tokens at most.
        #expect(result.costUSD >= 0 && result.costUSD < 0.0011, "\(result.costUSD)")
        #expect(result.usage.isEstimated)
    }
}
