public import Core
public import Foundation
import Logging
public import Providers
public import Store
import Synchronization

/// The LLM service every channel goes through: route → cache → reserve → call with retries,
/// circuit breakers and failover → settle → record, publishing what happens on the event bus.
public final class Gateway: Sendable {
    /// Said to the user when no model can answer; the reason goes to the error log, not the chat.
    public static let fallbackAnswer = "Sorry — I can't reach any of my language models right now. Please try again in a minute."
    /// Said when budgets refuse every model.
    public static let budgetAnswer = "Sorry — I've reached my spending limit for now. Please try again later."

    private let settings: Settings
    private let catalog: ModelCatalog
    private let store: SQLiteStore
    private let providers: [String: any LLMProvider]
    private let bus: EventBus<Event>
    private let clock: @Sendable () -> Date
    private let retry: RetryPolicy
    private let random: @Sendable () -> Double
    private let sleep: @Sendable (Duration) async throws -> Void
    let logger = Logger(label: "switchboard.gateway")

    public let ledger: BudgetLedger
    public let cache: ResponseCache?
    /// Usage rows, cache entries and error-log lines are written behind the requests.
    public let writer: WriteBehindQueue
    public let health: HealthTracker
    /// Every model a request may go to, and their providers (the catalog and settings are fixed
    /// for the gateway's life).
    let candidates: [ModelEntry]
    /// The candidates' providers that are configured (the router needs to know only these:
    /// a model of any other provider is not configured, whatever its budgets).
    private let candidateProviders: [String]
    let breakers: [String: CircuitBreaker]
    let controls: Mutex<Controls>

    struct Controls {
        var pinnedModel: String?
        var overrides: [String: ProviderOverrides] = [:]
        var loadedAt: Date = .distantPast
    }

    /// How often persisted operator controls are re-read, so another process's change applies.
    public static let controlsRefreshInterval: TimeInterval = 2

    /// A gateway over `providers` (by name; the demo provider included when it is active).
    public init(
        settings: Settings, catalog: ModelCatalog, store: SQLiteStore, providers: [String: any LLMProvider], bus: EventBus<Event>,
        retry: RetryPolicy = RetryPolicy(), clock: @escaping @Sendable () -> Date = { Date() },
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.settings = settings
        self.catalog = catalog
        self.store = store
        self.providers = providers
        self.bus = bus
        self.clock = clock
        self.health = HealthTracker(clock: clock)
        self.retry = retry
        self.random = random
        self.sleep = sleep
        // Unreadable now (a busy database): none applied until the first request reads them
        // again, before it is routed (`loadedAt` below makes them stale at once).
        let storedControls = try? (overrides: store.providerOverrides(), pin: store.runtimeSetting(.pinnedModel))
        let overrides = storedControls?.overrides ?? [:]
        let writer = WriteBehindQueue(store: store)
        self.writer = writer
        ledger = BudgetLedger(store: store, limits: BudgetLimits(settings: settings.quotas, overrides: overrides), bus: bus, alertsEnabled: settings.features.costAlerts, writer: writer, clock: clock)
        cache = settings.features.caching && settings.cacheTTLSeconds > 0 ? ResponseCache(store: store, ttl: TimeInterval(settings.cacheTTLSeconds), writer: writer, clock: clock) : nil
        var breakers: [String: CircuitBreaker] = [:]
        for name in providers.keys {
            breakers[name] = CircuitBreaker(provider: name, clock: clock) { [bus, store, logger] state in
                let enabled = overrides[name]?.enabled ?? true
                do {
                    try store.saveCircuitState(state.rawValue, for: name, at: clock())
                } catch {
                    // Only what other processes show (`switchboard health`) is stale; the breaker itself is in memory.
                    logger.warning("a circuit state could not be saved", metadata: ["provider": "\(name)", "state": "\(state.rawValue)", "reason": "\(error)"])
                }
                bus.publish(.providerStateChanged(ProviderStateChanged(provider: name, enabled: enabled, circuit: state)))
            }
        }
        self.breakers = breakers
        candidates = Self.candidates(catalog: catalog, settings: settings)
        candidateProviders = Self.configuredProviders(of: candidates, among: providers)
        controls = Mutex(Controls(pinnedModel: storedControls?.pin, overrides: overrides, loadedAt: storedControls == nil ? .distantPast : clock()))
    }

    deinit {
        writer.stop()
    }

    // MARK: - Answering

    /// Answers `request` as a stream of events; it always ends with `.completed` (never throws).
    public func stream(_ request: GatewayRequest) -> AsyncStream<GatewayEvent> {
        AsyncStream { continuation in
            let task = Task {
                await self.answer(request) { continuation.yield($0) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// How routing went: the decision, or the friendly failure (already logged and announced).
    public enum RouteOutcome: Sendable {
        case decided(RouteDecision)
        case refused(GatewayResult)
    }

    /// Routes `request` — once per request: ``answer(_:routed:emit:)`` uses the decision as it is.
    ///
    /// A caller that fits its context to the chosen model's window routes with the part of the
    /// prompt that is never dropped (the system prompt and the person's words), builds the
    /// context for `decision.chosen`, and passes ``GatewayRequest/refit`` for fallbacks whose
    /// window or tokenizer differ.
    public func route(_ request: GatewayRequest) -> RouteOutcome {
        let started = ContinuousClock.now
        refreshControlsIfStale()
        if let model = request.model, candidateEntry(model) == nil {
            let reason = "\(model) is not in the model catalog, so its cost is unknown; add it with SWITCHBOARD_MODELS_FILE (`switchboard models` lists the known ones)"
            return .refused(failure(request, reason: reason, routeReason: "", started: started, errors: [reason]))
        }
        do {
            return .decided(try Router.route(routeRequest(request), in: routingContext(for: request)))
        } catch {
            logFailure(request, kind: "no_route", message: error.description)
            let text = error.isBudgetOnly ? Self.budgetAnswer : Self.fallbackAnswer
            return .refused(failure(request, reason: error.description, routeReason: "", started: started, errors: [error.description], text: text))
        }
    }

    /// Answers `request` and returns the result only.
    public func complete(_ request: GatewayRequest) async -> GatewayResult {
        var result: GatewayResult?
        await answer(request) { event in
            if case .completed(let final) = event { result = final }
        }
        return result ?? failure(request, reason: "no answer", routeReason: "", started: .now, errors: [])
    }

    /// The whole pipeline for one request. `emit` is called in order, ending with `.completed`
    /// (the Assistant calls this directly: its events pass through without another stream).
    /// `routed`: the decision ``route(_:)`` made for it; without one the request is routed here.
    public func answer(_ request: GatewayRequest, routed: RouteDecision? = nil, emit: (GatewayEvent) -> Void) async {
        let started = ContinuousClock.now
        let decision: RouteDecision
        if let routed {
            decision = routed
        } else {
            switch route(request) {
            case .decided(let made): decision = made
            case .refused(let result):
                emit(.completed(result))
                return
            }
        }
        let routing = routeRequest(request)
        if let conversation = request.conversation {
            bus.publish(.routeDecided(RouteDecided(request: request.id, conversation: conversation, provider: decision.chosen.provider, model: decision.chosen.id, reason: decision.summary)))
        }
        emit(.routed(decision))

        // The chosen model's key serves the lookup now and the save after the call.
        let cacheKey = cache.map { _ in ResponseCache.key(model: decision.chosen.id, request: chatRequest(request, model: decision.chosen)) }
        if let cacheKey, let hit = cachedAnswer(request, key: cacheKey, decision: decision, started: started, emit: emit) {
            emit(.completed(hit))
            return
        }
        await callModels(request, routing: routing, decision: decision, cacheKey: cacheKey, started: started, emit: emit)
    }

    private func routeRequest(_ request: GatewayRequest) -> RouteRequest {
        RouteRequest(priority: request.priority, promptTokens: TokenEstimator.promptTokensByEncoding(request.messages.map(\.content)), maxOutputTokens: request.maxOutputTokens)
    }

    /// Every model a request may go to: the catalog, plus compatible providers' own models.
    static func candidates(catalog: ModelCatalog, settings: Settings) -> [ModelEntry] {
        var entries = catalog.entries
        for provider in settings.providers where provider.kind == .openAICompatible {
            for model in provider.models where catalog.entry(for: model) == nil {
                entries.append(ModelCatalog.compatible(model: model, provider: provider.name, declared: provider.declaredPrice(of: model)))
            }
        }
        return entries
    }

    /// The providers of `entries` that are configured (in `providers`), each once, in order of
    /// first appearance.
    static func configuredProviders(of entries: [ModelEntry], among providers: [String: any LLMProvider]) -> [String] {
        var names: [String] = []
        for entry in entries where providers[entry.provider] != nil && !names.contains(entry.provider) { names.append(entry.provider) }
        return names
    }

    func routingContext(for request: GatewayRequest) -> RoutingContext {
        var entries = candidates
        var names = candidateProviders
        if request.provider != nil || request.model != nil {
            if let provider = request.provider { entries = entries.filter { $0.provider == provider } }
            if let model = request.model { entries = entries.filter { $0.id == model } }
            names = Self.configuredProviders(of: entries, among: providers)
        }
        let (overrides, pin) = controls.withLock { ($0.overrides, $0.pinnedModel) }
        let room = ledger.headroom(providers: names, user: request.user)
        // A provider left out is not configured (see `candidateProviders`).
        var statuses: [String: ProviderStatus] = [:]
        for name in names {
            let breaker = breakers[name]?.status
            let headroom = room.byProvider[name]
            statuses[name] = ProviderStatus(
                configured: true, enabled: overrides[name]?.enabled ?? true,
                circuit: breaker?.state ?? .closed, probeAt: breaker?.probeAt,
                hourlyHeadroom: headroom?.providerHourly ?? 0, dailyHeadroom: headroom?.providerDaily ?? 0)
        }
        return RoutingContext(
            catalog: entries, providers: statuses, health: health.snapshot, globalHeadroom: room.global, userHeadroom: room.user,
            preferredProvider: settings.preferredProvider, preferredModel: settings.preferredModel,
            pinnedModel: request.model == nil ? pin : nil, now: clock())
    }

    // MARK: - Cache

    private func cachedAnswer(_ request: GatewayRequest, key: ResponseCache.Key, decision: RouteDecision, started: ContinuousClock.Instant, emit: (GatewayEvent) -> Void) -> GatewayResult? {
        guard let hit = cache?.lookup(key) else { return nil }
        // Replayed as a stream, so every channel shows it the way it shows a live answer.
        var firstToken: Duration?
        for word in StreamChunks.words(hit.text) {
            if firstToken == nil { firstToken = .now - started }
            emit(.delta(word))
            publishDelta(request, word)
        }
        let usage = TokenUsage(promptTokens: hit.promptTokens, outputTokens: hit.outputTokens)
        let record = UsageRecord(
            requestID: request.id.rawValue, conversationID: request.conversation?.rawValue, userID: request.user,
            provider: hit.provider, model: hit.model, promptTokens: hit.promptTokens, outputTokens: hit.outputTokens,
            costUSD: hit.costUSD, latencyMilliseconds: Self.milliseconds(.now - started), cacheHit: true,
            routeReason: decision.summary, outcome: .cacheHit, createdAt: clock())
        if !request.callerSavesAnswer { writer.enqueue(.usage(record)) }
        if let conversation = request.conversation {
            bus.publish(.cacheHit(CacheHit(request: request.id, conversation: conversation, savedUSD: hit.costUSD)))
        }
        var result = GatewayResult(
            text: hit.text, provider: hit.provider, model: hit.model, usage: usage, costUSD: 0, costKnown: true, fromCache: true,
            hadErrors: false, errorDetails: [], routeReason: decision.summary + " · from cache", latency: .now - started,
            timeToFirstToken: firstToken, isDemo: hit.provider == DemoProvider.providerName)
        if request.callerSavesAnswer {
            result.unsavedUsage = UnsavedUsage(record: record, reservationRow: nil)
        } else {
            publishCompleted(request, result)
        }
        return result
    }

    // MARK: - Calling models

    private func chatRequest(_ request: GatewayRequest, model: ModelEntry) -> ChatRequest {
        ChatRequest(model: model.id, messages: request.messages, maxOutputTokens: min(request.maxOutputTokens, model.maxOutput), temperature: request.temperature)
    }

    /// `cacheKey`: the chosen model's cache key, when caching is on.
    private func callModels(_ request: GatewayRequest, routing: RouteRequest, decision: RouteDecision, cacheKey: ResponseCache.Key?, started: ContinuousClock.Instant, emit: (GatewayEvent) -> Void) async {
        let deadline = started + .seconds(settings.network.requestTimeout)
        var errors: [String] = []
        var shownText = false
        var onlyBudgetRefusals = true
        // The chosen model, then (unless the caller named one) the fallbacks in order.
        let count = request.model == nil ? 1 + decision.fallbacks.count : 1
        func entry(_ index: Int) -> ModelEntry { index == 0 ? decision.chosen : decision.fallbacks[index - 1] }
        // A provider that failed as a whole (stalled, down, refusing the key) is not tried again
        // through its other models within this request: a stalled stream costs one idle timeout
        // and moves to another provider, instead of one timeout per model.
        var failedProviders: Set<String> = []
        // A stall is retried once (on another provider when there is one), never more: each
        // costs the user a whole idle timeout.
        var timeouts = 0
        models: for index in 0..<count {
            let model = entry(index)
            guard let provider = providers[model.provider], !failedProviders.contains(model.provider) else { continue }
            let hasFallback = (index + 1..<count).contains { entry($0).provider != model.provider && !failedProviders.contains(entry($0).provider) }
            var attempt = 1
            var regenerated = false
            while true {
                if Task.isCancelled { return }
                guard breakers[model.provider]?.allowRequest() ?? true else {
                    errors.append("\(model.provider): circuit open")
                    onlyBudgetRefusals = false
                    break
                }
                let sized = attemptRequest(request, for: model, chosen: decision.chosen)
                let prompt = sized.messages == request.messages ? routing.prompt(for: model) : routeRequest(sized).prompt(for: model)
                let outcome = await attemptCall(
                    sized, model: model, provider: provider, prompt: prompt, decision: decision,
                    cacheKey: model.id == decision.chosen.id ? cacheKey : nil, started: started, restart: shownText,
                    mayRegenerate: !regenerated, emit: emit)
                switch outcome {
                case .answered(let result, let needsRegeneration) where needsRegeneration && !regenerated:
                    // An empty or runaway answer gets one more try on the same model.
                    regenerated = true
                    shownText = shownText || !result.text.isEmpty
                    errors.append("\(model.id) gave an empty or repetitive answer; regenerated once")
                    logError(source: "content", kind: "answer_regenerated", message: "\(model.id) answer was empty or repetitive", request: request.id)
                    continue
                case .answered(let result, _):
                    let final = GatewayResult(
                        text: result.text, provider: result.provider, model: result.model, usage: result.usage, costUSD: result.costUSD,
                        costKnown: result.costKnown, fromCache: false, hadErrors: false, errorDetails: errors,
                        routeReason: index == 0 ? decision.summary : "\(model.id) after failover: \(errors.last ?? "")",
                        latency: .now - started, timeToFirstToken: result.timeToFirstToken, isDemo: result.isDemo,
                        unsavedUsage: result.unsavedUsage)
                    if !request.callerSavesAnswer { publishCompleted(request, final) }
                    emit(.completed(final))
                    return
                case .refused(let reason):
                    breakers[model.provider]?.releaseProbe()
                    errors.append(reason)
                case .failed(let error, let showedText):
                    onlyBudgetRefusals = false
                    shownText = shownText || showedText
                    errors.append(error.description)
                    if error.code == .cancelled { return }
                    if error.isProviderWide { failedProviders.insert(model.provider) }
                    if error.code == .timeout {
                        timeouts += 1
                        if timeouts >= 2 { break models }
                    }
                    let remaining = deadline - .now
                    // No backoff sleep while another provider is ready to take over.
                    if !hasFallback, let wait = retry.delay(after: error, attempt: attempt, remaining: remaining, random: random()) {
                        attempt += 1
                        try? await sleep(wait)  // cancelled: the loop's next check returns
                        continue
                    }
                }
                break
            }
            if ContinuousClock.now >= deadline {
                errors.append("the request deadline of \(settings.network.requestTimeout) s passed")
                break
            }
        }
        let summary = errors.joined(separator: "; ")
        // Refused by budgets only (another request took the last of a quota): say so, not "unreachable".
        let budgetOnly = onlyBudgetRefusals && !errors.isEmpty
        logFailure(request, kind: budgetOnly ? "over_budget" : "all_failed", message: summary)
        emit(.completed(failure(request, reason: summary, routeReason: decision.summary, started: started, errors: errors, text: budgetOnly ? Self.budgetAnswer : Self.fallbackAnswer)))
    }

    /// The request as `model` gets it: a fallback whose window or tokenizer differ from the
    /// chosen model's gets the context fitted again to its own (``GatewayRequest/refit``).
    private func attemptRequest(_ request: GatewayRequest, for model: ModelEntry, chosen: ModelEntry) -> GatewayRequest {
        guard let refit = request.refit, model.id != chosen.id,
            model.contextWindow < chosen.contextWindow || TokenEncoding.of(model: model.id) != TokenEncoding.of(model: chosen.id)
        else { return request }
        var fitted = request
        fitted.messages = refit(model)
        return fitted
    }

    enum AttemptOutcome {
        /// `needsRegeneration`: the answer is empty or runaway (``ContentChecks/needsRegeneration(_:)``).
        case answered(GatewayResult, needsRegeneration: Bool)
        case refused(String)
        case failed(ProviderError, showedText: Bool)
    }

    private func attemptCall(
        _ request: GatewayRequest, model: ModelEntry, provider: any LLMProvider, prompt: Int, decision: RouteDecision,
        cacheKey: ResponseCache.Key?, started: ContinuousClock.Instant, restart: Bool, mayRegenerate: Bool, emit: (GatewayEvent) -> Void
    ) async -> AttemptOutcome {
        let chat = chatRequest(request, model: model)
        let bounds = UsageCheck.Bounds(promptTokens: Int(Double(prompt) * TokenEstimator.safetyMargin), outputTokens: chat.maxOutputTokens)
        let amount = CostCalculator.reservation(promptTokens: bounds.promptTokens, maxOutputTokens: bounds.outputTokens, at: model.price)
        let reservation: BudgetLedger.Reservation
        do {
            reservation = try ledger.reserve(
                provider: model.provider, user: request.user, amount: amount,
                for: .init(requestID: request.id.rawValue, conversationID: request.conversation?.rawValue, model: model.id))
        } catch {
            return .refused("\(model.id): \(error)")
        }
        let attemptStarted = ContinuousClock.now
        var text = ""
        var firstToken: Duration?
        var restartAnnounced = !restart
        do {
            var response: ChatResponse
            if request.streaming {
                var usage: TokenUsage?
                var stop = StopReason.endTurn
                var runaway = RunawayCheck(maxOutputTokens: chat.maxOutputTokens, encoding: TokenEncoding.of(model: model.id))
                streaming: for try await event in provider.stream(chat) {
                    switch event {
                    case .delta(let piece):
                        if !restartAnnounced {
                            restartAnnounced = true
                            emit(.restarted(reason: "\(model.id) takes over"))
                            if let conversation = request.conversation {
                                bus.publish(.streamRestarted(StreamRestarted(request: request.id, conversation: conversation, reason: "\(model.id) takes over")))
                            }
                        }
                        if firstToken == nil { firstToken = .now - started }
                        text += piece
                        emit(.delta(piece))
                        publishDelta(request, piece)
                        if runaway.isPastLimit(text) {
                            // Leaving the loop drops the stream, which cancels the transfer:
                            // no more tokens are sent, none more are paid for.
                            logError(source: model.provider, kind: "runaway_stream", message: "\(model.id) kept streaming past max_tokens \(chat.maxOutputTokens); cut, billed for what was received (at most the maximum)", request: request.id)
                            usage = TokenUsage.estimated(for: chat, answer: text)
                            stop = .maxTokens
                            break streaming
                        }
                    case .finished(let reported, let reason):
                        usage = reported
                        stop = reason
                    }
                }
                if Task.isCancelled { throw ProviderError(.cancelled, provider: model.provider, message: "cancelled") }
                guard let usage else { throw ProviderError(.connectionLost, provider: model.provider, message: "the stream ended without its final event") }
                response = ChatResponse(text: text, model: model.id, usage: usage, stopReason: stop)
            } else {
                response = try await provider.complete(chat)
                if !restartAnnounced { emit(.restarted(reason: "\(model.id) takes over")) }
                firstToken = .now - started
                emit(.delta(response.text))
                publishDelta(request, response.text)
            }
            let usage = checkedUsage(response.usage, of: chat, answer: response.text, within: bounds, provider: model.provider, request: request)
            response.usage = usage
            let cost = CostCalculator.cost(of: usage, at: model.price)
            let needsRegeneration = ContentChecks.needsRegeneration(response.text)
            let record = UsageRecord(
                requestID: request.id.rawValue, conversationID: request.conversation?.rawValue, userID: request.user,
                provider: model.provider, model: model.id, promptTokens: response.usage.promptTokens, outputTokens: response.usage.outputTokens,
                cacheReadTokens: response.usage.cacheReadTokens, cacheWriteTokens: response.usage.cacheWriteTokens,
                costUSD: cost, costEstimated: response.usage.isEstimated || !model.priceIsKnown,
                latencyMilliseconds: Self.milliseconds(.now - attemptStarted), timeToFirstTokenMilliseconds: firstToken.map(Self.milliseconds),
                routeReason: decision.summary, outcome: .ok, createdAt: clock())
            // The row of the answer the caller keeps goes into the database with it; the row of an
            // answer about to be regenerated is written now, like a failed attempt's.
            let callerWrites = request.callerSavesAnswer && !(needsRegeneration && mayRegenerate)
            let unsaved = settle(reservation, record: record, writtenByCaller: callerWrites) ? UnsavedUsage(record: record, reservationRow: reservation.row) : nil
            breakers[model.provider]?.record(success: true)
            health.recordSuccess(model: model.id, latencyMilliseconds: Double(Self.milliseconds(firstToken ?? (.now - attemptStarted))))
            if let cache, response.stopReason == .endTurn || response.stopReason == .stopSequence, !needsRegeneration {
                cache.save(response, provider: model.provider, costUSD: cost, key: cacheKey ?? ResponseCache.key(model: model.id, request: chat))
            }
            return .answered(GatewayResult(
                text: response.text, provider: model.provider, model: model.id, usage: response.usage, costUSD: cost, costKnown: model.priceIsKnown,
                fromCache: false, hadErrors: false, errorDetails: [], routeReason: decision.summary, latency: .now - started,
                timeToFirstToken: firstToken, isDemo: model.provider == DemoProvider.providerName, unsavedUsage: unsaved), needsRegeneration: needsRegeneration)
        } catch {
            let failure = (error as? ProviderError) ?? ProviderError(.malformedResponse, provider: model.provider, message: "\(error)")
            // Text already generated was billed; charge its estimate rather than nothing.
            let streamed = UsageCheck.checked(TokenUsage(promptTokens: prompt, outputTokens: TokenEstimator.tokens(in: text, encoding: TokenEncoding.of(model: model.id))), within: bounds, estimate: TokenUsage(promptTokens: prompt, outputTokens: 0))
            let partial = text.isEmpty ? 0 : CostCalculator.cost(of: streamed, at: model.price)
            settle(reservation, record: UsageRecord(
                requestID: request.id.rawValue, conversationID: request.conversation?.rawValue, userID: request.user,
                provider: model.provider, model: model.id, costUSD: partial, costEstimated: partial > 0,
                latencyMilliseconds: Self.milliseconds(.now - attemptStarted), routeReason: decision.summary,
                outcome: .error, errorKind: failure.code.rawValue, createdAt: clock()))
            if failure.code != .cancelled && failure.code != .badRequest && failure.code != .contextLengthExceeded {
                breakers[model.provider]?.record(success: false)
                health.recordFailure(model: model.id)
            } else {
                breakers[model.provider]?.releaseProbe()
            }
            logError(source: model.provider, kind: failure.code.rawValue, message: failure.description, request: request.id)
            return .failed(failure, showedText: !text.isEmpty)
        }
    }

    /// Settles a reservation. A row that cannot be written is still counted in the budgets and
    /// its error logged (the ledger throws only when it writes synchronously, without a queue).
    @discardableResult
    private func settle(_ reservation: BudgetLedger.Reservation, record: UsageRecord, writtenByCaller: Bool = false) -> Bool {
        do {
            return try ledger.settle(reservation, record: record, writtenByCaller: writtenByCaller)
        } catch {
            logError(source: "store", kind: "usage_not_saved", message: "the usage row could not be written: \(error)", request: RequestID(rawValue: record.requestID))
            return false
        }
    }

    /// Ends a request made with ``GatewayRequest/callerSavesAnswer`` once the caller has stored
    /// the answer (`saved`) or failed to: the budgets learn that its usage row is in the
    /// database, or it is written behind now; then `responseCompleted` is published.
    public func finish(_ result: GatewayResult, of request: GatewayRequest, saved: Bool) {
        if let usage = result.unsavedUsage {
            if saved {
                ledger.written([usage.record])
            } else {
                ledger.writeBehind(usage.record, settling: usage.reservationRow)
            }
        }
        if !result.hadErrors { publishCompleted(request, result) }
    }

    /// `reported` within `bounds` (see ``UsageCheck``); a report that had to be changed is logged
    /// with its figures, so the operator can see which provider misreports.
    private func checkedUsage(_ reported: TokenUsage, of chat: ChatRequest, answer: String, within bounds: UsageCheck.Bounds, provider: String, request: GatewayRequest) -> TokenUsage {
        let usage = UsageCheck.checked(reported, within: bounds, estimate: TokenUsage.estimated(for: chat, answer: answer))
        if usage != reported && !reported.isEstimated {
            logError(source: provider, kind: "implausible_usage", message: "\(chat.model) reported prompt \(reported.promptTokens), output \(reported.outputTokens), cache read \(reported.cacheReadTokens), cache write \(reported.cacheWriteTokens) tokens; billed as prompt \(usage.promptTokens), output \(usage.outputTokens), cache read \(usage.cacheReadTokens), cache write \(usage.cacheWriteTokens) (at most what was reserved), marked estimated", request: request.id)
        }
        return usage
    }

    /// Waits until every usage row, cache entry and error-log line so far is in the database
    /// (before a command exits, and in tests).
    public func flushWrites() {
        writer.flush()
    }

    // MARK: - Accessors for the controls extension

    func clockNow() -> Date { clock() }
    var storeForControls: SQLiteStore { store }
    var quotaSettings: QuotaSettings { settings.quotas }
    var knownProviders: Set<String> { Set(providers.keys).union(settings.providers.map(\.name)) }

    func candidateEntry(_ model: String) -> ModelEntry? {
        candidates.first { $0.id == model }
    }

    func publishProviderState(_ provider: String, enabled: Bool) {
        let circuit = breakers[provider]?.status.state ?? .closed
        bus.publish(.providerStateChanged(ProviderStateChanged(provider: provider, enabled: enabled, circuit: circuit)))
    }

    // MARK: - Results and events

    private func failure(_ request: GatewayRequest, reason: String, routeReason: String, started: ContinuousClock.Instant, errors: [String], text: String = Gateway.fallbackAnswer) -> GatewayResult {
        if let conversation = request.conversation {
            bus.publish(.requestFailed(RequestFailed(request: request.id, conversation: conversation, kind: "unavailable", message: reason)))
        }
        return GatewayResult(
            text: text, provider: "", model: "", usage: TokenUsage(promptTokens: 0, outputTokens: 0), costUSD: 0, costKnown: true,
            fromCache: false, hadErrors: true, errorDetails: errors, routeReason: routeReason, latency: .now - started,
            timeToFirstToken: nil, isDemo: false)
    }

    private func publishDelta(_ request: GatewayRequest, _ text: String) {
        guard let conversation = request.conversation else { return }
        bus.publish(.streamDelta(StreamDelta(request: request.id, conversation: conversation, text: text)))
    }

    private func publishCompleted(_ request: GatewayRequest, _ result: GatewayResult) {
        guard let conversation = request.conversation else { return }
        bus.publish(.responseCompleted(ResponseCompleted(
            request: request.id, conversation: conversation, provider: result.provider, model: result.model, text: result.text,
            inputTokens: result.usage.promptTokens, outputTokens: result.usage.outputTokens, costUSD: result.costUSD,
            costIsEstimated: result.usage.isEstimated, fromCache: result.fromCache, latency: result.latency, timeToFirstToken: result.timeToFirstToken)))
    }

    private func logFailure(_ request: GatewayRequest, kind: String, message: String) {
        logger.warning("request failed", metadata: ["request": "\(request.id)", "kind": "\(kind)", "reason": "\(message)"])
        logError(source: "gateway", kind: kind, message: message, request: request.id)
    }

    /// Writes a line to the error log (behind the requests) and shows it on the bus; `request`
    /// ties it to one answer's story (`switchboard trace`).
    public func logError(source: String, kind: String, message: String, request: RequestID? = nil) {
        writer.enqueue(.error(source: source, kind: kind, message: message, request: request?.rawValue, at: clock()))
        bus.publish(.errorLogged(ErrorLogged(source: source, message: message, request: request, at: clock())))
    }

    static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.components.seconds) * 1000 + Int(duration.components.attoseconds / 1_000_000_000_000_000)
    }
}
