import Core
import Foundation
import Testing

@testable import Gateway

@Suite struct RouterTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09

    static func model(_ id: String, _ provider: String, tier: Int, input: Double, output: Double, context: Int = 128_000, retiredOn: Date? = nil) -> ModelEntry {
        ModelEntry(id: id, provider: provider, name: id, tier: tier, price: .perMillion(input: input, output: output),
                   contextWindow: context, maxOutput: 4_096, retired: false, retirementDate: retiredOn)
    }

    static let catalog = [
        model("gpt-4-turbo", "openai", tier: 1, input: 10, output: 30),
        model("claude-sonnet", "anthropic", tier: 2, input: 3, output: 15, context: 200_000),
        model("gpt-4o-mini", "openai", tier: 5, input: 0.15, output: 0.6),
        model("claude-haiku", "anthropic", tier: 5, input: 1, output: 5, context: 200_000),
        model("tiny", "openai", tier: 6, input: 0.05, output: 0.1, context: 4_000),
        model("old", "openai", tier: 1, input: 0.01, output: 0.01, retiredOn: Date(timeIntervalSince1970: 1_700_000_000)),
    ]

    static func context(
        openai: ProviderStatus = ProviderStatus(configured: true), anthropic: ProviderStatus = ProviderStatus(configured: true),
        health: [String: ModelHealth] = [:], global: Double = .infinity, user: Double? = nil,
        preferredProvider: String? = nil, preferredModel: String? = nil, pin: String? = nil
    ) -> RoutingContext {
        RoutingContext(catalog: catalog, providers: ["openai": openai, "anthropic": anthropic], health: health,
                       globalHeadroom: global, userHeadroom: user, preferredProvider: preferredProvider,
                       preferredModel: preferredModel, pinnedModel: pin, now: now)
    }

    static let small = RouteRequest(priority: .normal, promptTokens: 1_000, maxOutputTokens: 500)

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let request: RouteRequest
        let context: RoutingContext
        let chosen: String
        let reasonContains: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "high priority takes the best tier", request: RouteRequest(priority: .high, promptTokens: 1_000, maxOutputTokens: 500),
             context: context(), chosen: "gpt-4-turbo", reasonContains: "best tier"),
        Case(name: "low priority takes the cheapest", request: RouteRequest(priority: .low, promptTokens: 1_000, maxOutputTokens: 500),
             context: context(), chosen: "tiny", reasonContains: "cheapest"),
        Case(name: "normal takes the cheapest adequate model", request: small, context: context(), chosen: "gpt-4o-mini", reasonContains: "cheapest adequate"),
        Case(name: "normal honours the preferred model", request: small, context: context(preferredModel: "claude-haiku"), chosen: "claude-haiku", reasonContains: "preferred model"),
        Case(name: "normal honours the preferred provider", request: small, context: context(preferredProvider: "anthropic"), chosen: "claude-haiku", reasonContains: "preferred provider"),
        Case(name: "a disabled provider is skipped", request: small, context: context(openai: ProviderStatus(configured: true, enabled: false)), chosen: "claude-haiku", reasonContains: "cheapest adequate"),
        Case(name: "an open circuit is skipped", request: small, context: context(openai: ProviderStatus(configured: true, circuit: .open)), chosen: "claude-haiku", reasonContains: ""),
        Case(name: "a half-open circuit may take the probe", request: small, context: context(openai: ProviderStatus(configured: true, circuit: .halfOpen)), chosen: "gpt-4o-mini", reasonContains: ""),
        Case(name: "an unconfigured provider is skipped", request: small, context: context(openai: ProviderStatus(configured: false)), chosen: "claude-haiku", reasonContains: ""),
        Case(name: "a long prompt needs a large window", request: RouteRequest(priority: .normal, promptTokens: 150_000, maxOutputTokens: 1_000),
             context: context(), chosen: "claude-haiku", reasonContains: ""),
        Case(name: "over the hourly quota degrades to the other provider", request: small,
             context: context(openai: ProviderStatus(configured: true, hourlyHeadroom: 0.0001)), chosen: "claude-haiku", reasonContains: ""),
        Case(name: "a tight global limit leaves only what fits", request: RouteRequest(priority: .high, promptTokens: 1_000, maxOutputTokens: 500),
             context: context(global: 0.001), chosen: "gpt-4o-mini", reasonContains: "best tier"),
        Case(name: "the pin wins when usable", request: RouteRequest(priority: .low, promptTokens: 1_000, maxOutputTokens: 500),
             context: context(pin: "claude-sonnet"), chosen: "claude-sonnet", reasonContains: "pinned by the operator"),
        Case(name: "an unusable pin is reported and routing goes on", request: small,
             context: context(anthropic: ProviderStatus(configured: true, enabled: false), pin: "claude-sonnet"), chosen: "gpt-4o-mini", reasonContains: "pinned claude-sonnet unavailable: anthropic disabled"),
        Case(name: "a failing model goes behind healthy ones", request: small,
             context: context(health: ["gpt-4o-mini": ModelHealth(latencyMilliseconds: 100, errorRate: 0.8)]), chosen: "claude-haiku", reasonContains: ""),
    ]

    @Test(arguments: cases)
    func decides(_ testCase: Case) throws {
        let decision = try Router.route(testCase.request, in: testCase.context)
        #expect(decision.chosen.id == testCase.chosen, "\(decision.summary)")
        #expect(testCase.reasonContains.isEmpty || decision.reason.contains(testCase.reasonContains), "\(decision.reason)")
        #expect(!decision.fallbacks.contains(decision.chosen))
        #expect(!decision.losers.contains { $0.model == decision.chosen.id })
        #expect(decision.losers.count == Self.catalog.count - 1, "every other model is accounted for")
    }

    @Test func tiesBreakOnErrorRateThenLatency() throws {
        let twins = [Self.model("a-model", "openai", tier: 5, input: 1, output: 2), Self.model("b-model", "anthropic", tier: 5, input: 1, output: 2)]
        func route(_ health: [String: ModelHealth]) throws -> RouteDecision {
            try Router.route(Self.small, in: RoutingContext(catalog: twins, providers: ["openai": ProviderStatus(configured: true), "anthropic": ProviderStatus(configured: true)], health: health, now: Self.now))
        }
        #expect(try route([:]).chosen.id == "a-model", "catalog order when nothing is known")
        let slow = try route(["a-model": ModelHealth(latencyMilliseconds: 412, errorRate: 0), "b-model": ModelHealth(latencyMilliseconds: 388, errorRate: 0)])
        #expect(slow.chosen.id == "b-model")
        #expect(slow.losers.first?.reason == "lost on latency (412 vs 388 ms)")
        let flaky = try route(["a-model": ModelHealth(latencyMilliseconds: 100, errorRate: 0.2), "b-model": ModelHealth(latencyMilliseconds: 900, errorRate: 0.05)])
        #expect(flaky.chosen.id == "b-model")
        #expect(flaky.losers.first?.reason == "lost on error rate (20 vs 5 %)")
    }

    @Test func theSummaryNamesTheChoiceItsReasonAndEveryLoser() throws {
        let decision = try Router.route(Self.small, in: Self.context())
        // Losers in rank order (the adequate ones by price), then the filtered ones.
        #expect(decision.summary == "gpt-4o-mini (normal priority: cheapest adequate model); claude-haiku lost on price ($6.00 vs $0.75/M); "
            + "claude-sonnet lost on price ($18.00 vs $0.75/M); gpt-4-turbo lost on price ($40.00 vs $0.75/M); tiny lost on tier above 5; old retired on 2023-11-14")
        // Models that lost for the same reason share it.
        let open = try Router.route(Self.small, in: Self.context(openai: ProviderStatus(configured: true, circuit: .open, probeAt: Self.now.addingTimeInterval(12))))
        #expect(open.summary.contains("gpt-4-turbo, gpt-4o-mini, tiny: openai circuit open (probe in 12 s)"), "\(open.summary)")
    }

    /// An open circuit whose probe is due is offered again: the request that takes it is the probe.
    @Test func anOpenCircuitIsOfferedWhenItsProbeIsDue() throws {
        let due = try Router.route(Self.small, in: Self.context(openai: ProviderStatus(configured: true, circuit: .open, probeAt: Self.now)))
        #expect(due.chosen.id == "gpt-4o-mini")
        let failedLately = ["gpt-4o-mini": ModelHealth(latencyMilliseconds: 100, errorRate: 1, lastFailureAt: Self.now.addingTimeInterval(-5))]
        var context = Self.context()
        context.health = failedLately
        #expect(try Router.route(Self.small, in: context).chosen.id != "gpt-4o-mini", "failing lately: behind the healthy ones")
        context.health["gpt-4o-mini"]?.lastFailureAt = Self.now.addingTimeInterval(-CircuitBreaker.openDuration)
        #expect(try Router.route(Self.small, in: context).chosen.id == "gpt-4o-mini", "no failure for a circuit's open period: ranked on its merits, and probed")
    }

    @Test func everyLoserHasAReason() throws {
        let decision = try Router.route(Self.small, in: Self.context(openai: ProviderStatus(configured: true, circuit: .open, probeAt: Self.now.addingTimeInterval(12))))
        let reasons = Dictionary(decision.losers.map { ($0.model, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons["old"] == "retired on 2023-11-14")
        #expect(reasons["gpt-4o-mini"] == "openai circuit open (probe in 12 s)")
        #expect(reasons["claude-sonnet"]?.hasPrefix("lost on") == true)
        #expect(decision.fallbacks.map(\.id) == ["claude-sonnet"])
    }

    @Test func fallbacksFollowTheRanking() throws {
        let decision = try Router.route(RouteRequest(priority: .high, promptTokens: 1_000, maxOutputTokens: 500), in: Self.context())
        #expect(decision.fallbacks.map(\.id) == ["claude-sonnet", "gpt-4o-mini", "claude-haiku", "tiny"])
    }

    @Test func noUsableModelSaysWhyForEach() {
        let context = Self.context(openai: ProviderStatus(configured: true, circuit: .open), anthropic: ProviderStatus(configured: true, dailyHeadroom: 0))
        #expect {
            try Router.route(Self.small, in: context)
        } throws: { error in
            let text = "\(error)"
            return text.contains("openai circuit open") && text.contains("anthropic daily quota") && text.contains("retired")
        }
    }

    @Test func theSameInputsGiveTheSameDecision() throws {
        let context = Self.context(health: ["claude-haiku": ModelHealth(latencyMilliseconds: 300, errorRate: 0.1)])
        let first = try Router.route(Self.small, in: context)
        for _ in 0..<20 { #expect(try Router.route(Self.small, in: context) == first) }
    }

    @Test func reservationCoversPromptAndMaximumAnswer() throws {
        let decision = try Router.route(Self.small, in: Self.context())
        #expect(abs(decision.reservationUSD - (1_000 * 0.15 + 500 * 0.6) / 1e6) < 1e-12)
    }
}
