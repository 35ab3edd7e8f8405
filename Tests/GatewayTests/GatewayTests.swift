import Core
import Foundation
import Providers
import Store
import Testing
import TestSupport

@testable import Gateway

@Suite struct GatewayTests {
    @Test func answersThroughTheRoutedModelAndRecordsUsage() async throws {
        let h = try GatewayHarness(openAI: FakeLLMScript(text: "Paris is the capital.", promptTokens: 2_000, outputTokens: 300, cachedTokens: 1_024))
        // A prompt of about 2,000 tokens (the fake's report is checked against the estimate).
        let context = String(repeating: "Some context. ", count: 650)
        let events = await h.run(GatewayRequest(conversation: .cli("test"), messages: [.system(context), .user("Capital of France?")], maxOutputTokens: 400))
        let result = try #require(h.result(events))
        #expect(!result.hadErrors)
        #expect(!result.usage.isEstimated, "the report fits what the request could use")
        #expect(result.provider == "openai" && result.model == "gpt-4o-mini")
        #expect(h.text(events) == "Paris is the capital.")
        #expect(abs(result.costUSD - 0.0004032) < 1e-10)
        guard case .routed(let decision) = events.first else { Issue.record("first event is not the route"); return }
        #expect(decision.reason.contains("cheapest adequate"))
        // Both providers are configured; the demo provider is not (and its model says so).
        let reasons = Dictionary(decision.losers.map { ($0.model, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons["switchboard-demo"] == "demo not configured")
        #expect(reasons["claude-haiku-4-5"]?.hasPrefix("lost on") == true)

        let row = try #require(try h.store.recentUsage(limit: 1).first)
        #expect(row.outcome == .ok && row.provider == "openai" && row.model == "gpt-4o-mini")
        #expect(row.promptTokens == 2_000 && row.cacheReadTokens == 1_024 && abs(row.costUSD - 0.0004032) < 1e-10)
        #expect(row.routeReason?.contains("gpt-4o-mini") == true)
        #expect(row.timeToFirstTokenMilliseconds != nil)

        let bus = h.busEvents()
        #expect(bus.contains { if case .routeDecided = $0 { true } else { false } })
        #expect(bus.contains { if case .streamDelta = $0 { true } else { false } })
        #expect(bus.contains { if case .responseCompleted(let done) = $0 { done.text == "Paris is the capital." } else { false } })
    }

    @Test func anIdenticalRequestIsAnsweredFromTheCacheAtNoCost() async throws {
        let h = try GatewayHarness()
        let first = try #require(h.result(await h.run(h.request("Same question"))))
        let secondEvents = await h.run(h.request("Same question"))
        let second = try #require(h.result(secondEvents))
        #expect(second.fromCache)
        #expect(second.costUSD == 0)
        #expect(second.text == first.text)
        #expect(h.text(secondEvents) == first.text, "replayed as a stream")
        #expect(h.openAI.requests.count == 1)
        #expect(try h.store.recentUsage(limit: 1).first?.outcome == .cacheHit)
        // A different conversation history is a different request.
        _ = await h.run(GatewayRequest(conversation: .cli("other"), messages: [.system("Be brief."), .assistant("Earlier"), .user("Same question")], maxOutputTokens: 200))
        #expect(h.openAI.requests.count == 2)
    }

    @Test func failoverBeforeTheFirstTokenIsInvisible() async throws {
        let h = try GatewayHarness(openAI: .failing(.status(500, type: "server_error", message: "boom")))
        let events = await h.run(h.request())
        let result = try #require(h.result(events))
        #expect(!result.hadErrors)
        #expect(result.provider == "anthropic")
        #expect(h.text(events) == "Hello from Anthropic.")
        #expect(!events.contains { if case .restarted = $0 { true } else { false } })
        #expect(result.errorDetails.first?.contains("openai 500") == true)
        #expect(h.sleeps.values.isEmpty, "no backoff sleep while a fallback was ready")
    }

    @Test func anOverloadedErrorMidStreamRestartsTheAnswerOnTheFallback() async throws {
        let h = try GatewayHarness(
            openAI: FakeLLMScript(text: "Partial answer that breaks", fault: .errorEvent(afterChunks: 2, type: "overloaded_error", message: "Overloaded")),
            anthropic: FakeLLMScript(text: "The complete answer."))
        let events = await h.run(h.request())
        let result = try #require(h.result(events))
        #expect(result.provider == "anthropic")
        #expect(result.text == "The complete answer.")
        let restartIndex = try #require(events.firstIndex { if case .restarted = $0 { true } else { false } })
        let deltasBefore = events[..<restartIndex].filter { if case .delta = $0 { true } else { false } }.count
        #expect(deltasBefore == 2, "the partial text was shown, then replaced")
        #expect(h.text(events) == "The complete answer.")
        #expect(h.busEvents().contains { if case .streamRestarted = $0 { true } else { false } })
    }

    @Test func everyProviderDownGivesAFriendlyAnswerAndALoggedError() async throws {
        let h = try GatewayHarness(openAI: .failing(.status(503, type: "server_error", message: "down")), anthropic: .failing(.status(529, type: "overloaded_error", message: "Overloaded")))
        let result = try #require(h.result(await h.run(h.request())))
        #expect(result.hadErrors)
        #expect(result.text == Gateway.fallbackAnswer)
        #expect(!result.text.contains("503") && !result.text.contains("sk-"))
        #expect(result.errorDetails.contains { $0.contains("openai 503") })
        #expect(result.errorDetails.contains { $0.contains("anthropic 529") })
        let logged = try h.store.recentErrors(limit: 20)
        #expect(logged.contains { $0.source == "gateway" && $0.kind == "all_failed" })
        #expect(h.busEvents().contains { if case .requestFailed = $0 { true } else { false } })
    }

    @Test func withoutAFallbackTheSameProviderIsRetriedAfterRetryAfter() async throws {
        let h = try GatewayHarness(environment: ["ANTHROPIC_API_KEY": ""])
        h.openAI.enqueue(.failing(.status(429, type: "rate_limit_exceeded", message: "slow down", retryAfter: "2")))
        let result = try #require(h.result(await h.run(GatewayRequest(messages: [.user("Hi")], model: "gpt-4o-mini"))))
        #expect(!result.hadErrors)
        #expect(result.text == "Hello from OpenAI.")
        #expect(h.openAI.requests.count == 2)
        #expect(h.sleeps.values == [.seconds(2)], "the wait honours Retry-After")
    }

    @Test func aFailingProvidersCircuitOpensAndTheAnswerSaysSo() async throws {
        let h = try GatewayHarness(openAI: .failing(.status(500, type: "server_error", message: "boom")), environment: ["ANTHROPIC_API_KEY": ""])
        var calls = 0
        while h.openAI.requests.count < CircuitBreaker.minimumFailures && calls < 10 {
            _ = await h.run(h.request("question \(calls)"))
            calls += 1
        }
        #expect(h.busEvents().contains { if case .providerStateChanged(let change) = $0 { change.provider == "openai" && change.circuit == .open } else { false } })
        let before = h.openAI.requests.count
        let result = try #require(h.result(await h.run(h.request("after the circuit opened"))))
        #expect(h.openAI.requests.count == before, "openai was not called")
        #expect(result.hadErrors)
        #expect(result.errorDetails.first?.contains("openai circuit open (probe in 30 s)") == true, "\(result.errorDetails)")

        // After the open period one probe goes through; its success closes the circuit.
        h.openAI.enqueue(FakeLLMScript(text: "Back again."))
        h.clock.advance(CircuitBreaker.openDuration)
        let probe = try #require(h.result(await h.run(h.request("probe"))))
        #expect(probe.text == "Back again.")
        #expect(h.busEvents().contains { if case .providerStateChanged(let change) = $0 { change.circuit == .closed } else { false } })
    }

    /// OpenAI fails every call, so the router moves to Anthropic (8x dearer); the fault clears.
    /// Within the open period nothing is sent to OpenAI, and every reader sees the same state;
    /// once it is over the next request is OpenAI's probe, and OpenAI has its traffic back.
    @Test func aProviderThatRecoversGetsItsTrafficBackOnTime() async throws {
        let h = try GatewayHarness(openAI: .failing(.status(500, type: "server_error", message: "boom")))
        for index in 0..<8 {
            let result = try #require(h.result(await h.run(h.request("question \(index)"))))
            #expect(result.provider == "anthropic")
            h.clock.advance(1)
        }
        let failedCalls = h.openAI.requests.count
        #expect(failedCalls >= 1)
        h.openAI.enqueue(FakeLLMScript(text: "OpenAI is back."), FakeLLMScript(text: "Still here."))
        // Everyone reports one state: the gateway (console and /metrics read it) and the database (stats).
        let state = h.gateway.circuitState(of: "openai")
        #expect((try h.store.circuitStates()["openai"] ?? "closed") == state.rawValue)
        let during = try #require(h.result(await h.run(h.request("during the hold"))))
        #expect(during.provider == "anthropic" && h.openAI.requests.count == failedCalls, "no request to a provider that just failed")

        h.clock.advance(CircuitBreaker.openDuration)
        #expect((try h.store.circuitStates()["openai"] ?? "closed") == h.gateway.circuitState(of: "openai").rawValue)
        let events = await h.run(h.request("after the hold"))
        let probe = try #require(h.result(events))
        #expect(probe.provider == "openai" && probe.text == "OpenAI is back.", "the probe went on time: \(probe.routeReason)")
        let next = try #require(h.result(await h.run(h.request("and then"))))
        #expect(next.provider == "openai" && next.text == "Still here.")
        #expect(h.gateway.circuitState(of: "openai") == .closed)
        #expect((try h.store.circuitStates()["openai"] ?? "closed") == "closed")

        // The route reason names every model that lost, each once.
        guard case .routed(let decision) = events.first else { Issue.record("no route"); return }
        for entry in try ModelCatalog.bundled().entries where entry.id != decision.chosen.id {
            #expect(decision.summary.contains(entry.id), "\(entry.id) missing from: \(decision.summary)")
        }
    }

    /// A probe refused by a budget says nothing about the provider: the next request probes.
    @Test func aProbeThatNeverRanDoesNotKeepTheCircuitHalfOpen() {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_960_740))
        let breaker = CircuitBreaker(provider: "openai", clock: { clock.now })
        for _ in 0..<CircuitBreaker.minimumFailures { breaker.record(success: false) }
        #expect(breaker.status.state == .open)
        clock.advance(CircuitBreaker.openDuration)
        #expect(breaker.status.state == .open && CircuitBreaker.probeIsDue(breaker.status, at: clock.now), "open, with its probe due")
        #expect(breaker.allowRequest())
        #expect(breaker.status.state == .halfOpen)
        #expect(!breaker.allowRequest(), "one probe at a time")
        breaker.releaseProbe()
        #expect(breaker.allowRequest(), "the probe was given back unused")
        breaker.record(success: true)
        #expect(breaker.status.state == .closed)
    }

    /// An upstream that ignores max_tokens: the stream is cut once it is well past the maximum
    /// (the transfer cancelled), and billed for what was received, at most the maximum.
    @Test func aRunawayStreamIsCutAndBilledForWhatWasReceived() async throws {
        let words = Array(repeating: "word ", count: 4_000)
        let h = try GatewayHarness(openAI: FakeLLMScript(text: words.joined(), pace: .milliseconds(1)))
        var request = h.request("Say one word")
        request.maxOutputTokens = 40
        let result = try #require(h.result(await h.run(request)))
        #expect(result.provider == "openai")
        #expect(result.text.count < 2_000, "cut, not read to the end: \(result.text.count) characters")
        #expect(result.usage.outputTokens <= 40 && result.usage.isEstimated)
        h.gateway.flushWrites()
        let row = try #require(try h.store.recentUsage(limit: 1).first)
        #expect(row.outputTokens <= 40 && row.costEstimated && row.outcome == .ok)
        #expect(try h.store.recentErrors(limit: 5).contains { $0.kind == "runaway_stream" })
    }

    /// Both providers stall mid-stream: each is tried once (one idle timeout each), not once per
    /// model of the catalog.
    @Test func aStalledStreamIsRetriedOnceOnAnotherProvider() async throws {
        let stall = FakeLLMScript(text: "one two three", fault: .stall(afterChunks: 1, for: .seconds(20)))
        let h = try GatewayHarness(openAI: stall, anthropic: stall, environment: ["SWITCHBOARD_IDLE_TIMEOUT": "1"])
        let result = try #require(h.result(await h.run(h.request("hello"))))
        #expect(result.hadErrors)
        #expect(h.openAI.requests.count == 1, "\(h.openAI.requests.map { $0.json?["model"] as? String ?? "" })")
        #expect(h.anthropic.requests.count == 1, "\(h.anthropic.requests.map { $0.json?["model"] as? String ?? "" })")
        #expect(result.errorDetails.filter { $0.contains("timeout") }.count == 2, "\(result.errorDetails)")
    }

    /// A 200 carrying an error object reaches the user's errors with the provider's own reason.
    @Test func anErrorSentWithStatus200IsReportedWithTheProvidersReason() async throws {
        let h = try GatewayHarness(openAI: .failing(.errorWith200(type: "server_error", message: "The model is warming up")), environment: ["ANTHROPIC_API_KEY": ""])
        let result = try #require(h.result(await h.run(h.request("hello"))))
        #expect(result.hadErrors)
        #expect(result.errorDetails.contains { $0.contains("openai 200 server_error: The model is warming up") }, "\(result.errorDetails)")
    }

    @Test func aModelThatKeepsFailingIsRankedBehindHealthyOnes() async throws {
        let h = try GatewayHarness(openAI: .failing(.status(500, type: "server_error", message: "boom")))
        _ = await h.run(h.request("first"))
        let events = await h.run(h.request("second"))
        guard case .routed(let decision) = events.first else { Issue.record("no route"); return }
        #expect(decision.chosen.provider == "anthropic")
        #expect(decision.losers.contains { $0.model == "gpt-4o-mini" && $0.reason.hasPrefix("lost on errors") })
    }

    @Test func overAProvidersQuotaTheRouterDegradesThenRefuses() async throws {
        let h = try GatewayHarness(environment: ["LLM_HOURLY_QUOTA": "0.00001"])
        let events = await h.run(h.request())
        let result = try #require(h.result(events))
        // The reservation of every paid model exceeds $0.00001 an hour: nothing is called.
        #expect(result.hadErrors)
        #expect(result.text == Gateway.budgetAnswer)
        #expect(h.openAI.requests.isEmpty && h.anthropic.requests.isEmpty)
        #expect(result.errorDetails.first?.contains("hourly quota") == true)

        try h.gateway.setQuota("anthropic", window: .hourly, usd: 5)
        let degraded = try #require(h.result(await h.run(h.request("again"))))
        #expect(degraded.provider == "anthropic")
    }
}

@Suite struct GatewayControlTests {
    @Test func pinDisableAndQuotaApplyToTheNextRequestAndPersist() async throws {
        let h = try GatewayHarness()
        try h.gateway.pin(model: "claude-haiku-4-5")
        #expect(try #require(h.result(await h.run(h.request("one")))).model == "claude-haiku-4-5")
        try h.gateway.pin(model: nil)
        try h.gateway.setProviderEnabled("openai", false)
        #expect(try #require(h.result(await h.run(h.request("two")))).provider == "anthropic")

        let other = h.anotherProcess()
        #expect(!other.isEnabled("openai"))
        try h.gateway.setQuota("openai", window: .daily, usd: 42)
        #expect(try h.store.providerOverrides()["openai"] == ProviderOverrides(enabled: false, dailyQuotaUSD: 42))
    }

    @Test func badControlsAreRefusedWithReasons() throws {
        let h = try GatewayHarness()
        #expect { try h.gateway.pin(model: "gpt-9") } throws: { "\($0)".contains("unknown model 'gpt-9'") }
        #expect { try h.gateway.pin(model: "claude-3-haiku-20240307") } throws: { "\($0)".contains("is retired") }
        #expect { try h.gateway.setQuota("openai", window: .daily, usd: -5) } throws: { "\($0)".contains("0 or more") }
        #expect { try h.gateway.setProviderEnabled("cohere", false) } throws: { "\($0)".contains("unknown provider 'cohere'") }
    }

    @Test func aChangeMadeByAnotherProcessAppliesWithinSeconds() async throws {
        let h = try GatewayHarness()
        try h.anotherProcess().setProviderEnabled("openai", false)
        #expect(h.gateway.isEnabled("openai"), "not yet re-read")
        h.clock.advance(Gateway.controlsRefreshInterval)
        #expect(try #require(h.result(await h.run(h.request()))).provider == "anthropic")
        #expect(!h.gateway.isEnabled("openai"))
    }
}

@Suite struct GatewayCommandTests {
    @Test func busCommandsApplyAndOthersPassThrough() async throws {
        let h = try GatewayHarness()
        #expect(try h.gateway.apply(.switchModel("claude-haiku-4-5")) == "pinned to claude-haiku-4-5")
        #expect(h.gateway.pinnedModel == "claude-haiku-4-5")
        #expect(try h.gateway.apply(.setProviderEnabled(provider: "anthropic", enabled: false)) == "anthropic disabled")
        // The pinned model's provider is disabled now: routing reports it and goes on.
        let events = await h.run(h.request())
        guard case .routed(let decision) = events.first else { Issue.record("no route"); return }
        #expect(decision.reason.contains("pinned claude-haiku-4-5 unavailable: anthropic disabled by the operator"))
        #expect(try h.gateway.apply(.setQuota(provider: "openai", window: .hourly, usd: 3)) == "openai hourly quota $3.00")
        #expect(h.gateway.ledger.limits.hourly("openai") == 3)
        #expect(try h.gateway.apply(.resetConversation(.console)) == nil, "a conversation command is the Assistant's")
        #expect(throws: ControlError.self) { try h.gateway.apply(.switchModel("nope")) }
    }
}

@Suite struct GatewayBudgetTests {
    @Test func twoHundredConcurrentRequestsThroughTheGatewayNeverOverspend() async throws {
        // Each answer costs what its reservation allows (200 output tokens at gpt-4o-mini prices),
        // and the hourly quota fits ten of them.
        let h = try GatewayHarness(openAI: FakeLLMScript(text: "Paid answer.", promptTokens: 25, outputTokens: 200), environment: [
            "ANTHROPIC_API_KEY": "", "LLM_HOURLY_QUOTA": "0.00125", "LLM_ENABLE_CACHING": "false",
        ])
        let results = await withTaskGroup(of: GatewayResult.self) { group in
            for index in 0..<200 {
                group.addTask {
                    await h.gateway.complete(GatewayRequest(messages: [.user("question \(index)")], maxOutputTokens: 200, model: "gpt-4o-mini"))
                }
            }
            var all: [GatewayResult] = []
            for await result in group { all.append(result) }
            return all
        }
        h.gateway.flushWrites()
        let answered = results.filter { !$0.hadErrors }
        let spent = try h.store.spend(since: BudgetLedger.windowStart(.hourly, at: h.clock.now)).total
        #expect(spent <= 0.00125 + 1e-12, "spent \(spent)")
        #expect((8...10).contains(answered.count), "\(answered.count) answered")
        #expect(results.filter(\.hadErrors).allSatisfy { $0.text == Gateway.budgetAnswer })
        #expect(h.openAI.requests.count == answered.count, "no call was made without a reservation")
    }
}
