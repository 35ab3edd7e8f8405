import Core
import Providers
import Foundation
import Synchronization

/// Chooses a model for a request. Pure: the same context and request give the same decision.
///
/// Filter (provider configured and enabled, circuit not open, not retired, the prompt and answer fit
/// the window, budgets cover the reservation), then rank by priority — high: best tier; normal: the
/// preferred model, then the preferred provider, then the cheapest adequate model; low: the
/// cheapest — breaking ties by observed latency and error rate. An operator's pin wins whenever
/// the pinned model passes the filters.
public enum Router {
    /// Normal priority keeps to models at least this good (tier number at most this).
    public static let adequateTier = 5

    public static func route(_ request: RouteRequest, in context: RoutingContext) throws(RoutingError) -> RouteDecision {
        // Usable models are kept as places in the catalog, not copies of their entries: a copy
        // retains each of an entry's strings, and every request ranks every model.
        let catalog = context.catalog
        var usable: [(offset: Int, reservation: Double, key: RankKey)] = []
        var losers: [(model: String, loss: RouteLoss)] = []
        usable.reserveCapacity(catalog.count)
        losers.reserveCapacity(catalog.count)
        for offset in catalog.indices {
            switch check(catalog[offset], request: request, context: context) {
            case .success(let reservation): usable.append((offset, reservation, rankKey(catalog[offset], request: request, context: context)))
            case .failure(let rejection): losers.append((catalog[offset].id, rejection.loss))
            }
        }
        guard !usable.isEmpty else { throw RoutingError(losses: losers) }

        // Stable: equal keys keep catalog order, so the same context always gives the same decision.
        usable.sort { a, b in a.key < b.key || (a.key == b.key && a.offset < b.offset) }
        var chosen = usable[0]
        var reason = Self.reason(for: catalog[chosen.offset], request: request, context: context)
        var isPinned = false
        if let pin = context.pinnedModel {
            if let pinned = usable.first(where: { catalog[$0.offset].id == pin }) {
                chosen = pinned
                isPinned = true
                reason = "pinned by the operator"
            } else if let rejected = losers.first(where: { $0.model == pin }) {
                reason += "; pinned \(pin) unavailable: \(rejected.loss)"
            } else {
                reason += "; pinned \(pin) is not in the catalog"
            }
        }
        let chosenEntry = catalog[chosen.offset]
        // Usable models that ranked lower come first (best first), then the filtered ones.
        var fallbacks: [ModelEntry] = []
        var losses: [(model: String, loss: RouteLoss)] = []
        fallbacks.reserveCapacity(usable.count - 1)
        losses.reserveCapacity(usable.count - 1 + losers.count)
        for other in usable where other.offset != chosen.offset {
            let entry = catalog[other.offset]
            fallbacks.append(entry)
            losses.append((entry.id, isPinned ? .notPinned : lostReason(entry, key: other.key, to: chosenEntry, key: chosen.key, request: request, context: context)))
        }
        losses.append(contentsOf: losers)
        let words = Wording(priority: request.priority, chosen: chosenEntry.id, reason: reason, losses: losses[...])
        let (fullReason, summary) = Wording.last.withLock { last in
            if let last, last.words == words { return (last.reason, last.summary) }
            let fullReason = "\(request.priority.rawValue) priority: \(reason)"
            let summary = RouteDecision.summary(chosen: chosenEntry.id, reason: fullReason, losses: losses)
            last = (words, fullReason, summary)
            return (fullReason, summary)
        }
        return RouteDecision(chosen: chosenEntry, fallbacks: fallbacks, losses: losses, reason: fullReason, reservationUSD: chosen.reservation, summary: summary)
    }

    /// What a decision's reason and summary are worded from. Decisions in a row are usually
    /// worded alike, so the last wording is kept and reused (the words are the same either way:
    /// the router stays a function of its inputs; this only saves formatting them again).
    struct Wording: Equatable {
        let priority: RequestPriority
        let chosen: String
        let reason: String
        let losses: ArraySlice<(model: String, loss: RouteLoss)>

        static func == (a: Wording, b: Wording) -> Bool {
            a.priority == b.priority && a.chosen == b.chosen && a.reason == b.reason
                && a.losses.elementsEqual(b.losses) { $0.model == $1.model && $0.loss == $1.loss }
        }

        static let last = Mutex<(words: Wording, reason: String, summary: String)?>(nil)
    }

    struct Rejection: Error {
        let loss: RouteLoss
        init(_ loss: RouteLoss) { self.loss = loss }
    }

    /// Whether `model` can take the request; on success, the reservation it needs.
    static func check(_ model: ModelEntry, request: RouteRequest, context: RoutingContext) -> Result<Double, Rejection> {
        if model.isRetired(on: context.now) {
            return .failure(Rejection(.retired(on: model.retirementDate)))
        }
        guard model.priceIsKnown else { return .failure(Rejection(.unpriced(provider: model.provider))) }
        guard let provider = context.providers[model.provider], provider.configured else {
            return .failure(Rejection(.notConfigured(provider: model.provider)))
        }
        guard provider.enabled else { return .failure(Rejection(.disabled(provider: model.provider))) }
        // Open until its probe is due; then offered, and the call that gets it is the probe.
        if provider.circuit == .open && !CircuitBreaker.probeIsDue(.init(state: .open, probeAt: provider.probeAt), at: context.now) {
            let probe = provider.probeAt.map { max(0, Int($0.timeIntervalSince(context.now).rounded(.up))) }
            return .failure(Rejection(.circuitOpen(provider: model.provider, probeInSeconds: probe)))
        }
        let prompt = request.prompt(for: model)
        guard prompt + request.maxOutputTokens <= model.contextWindow else {
            return .failure(Rejection(.tooLong(prompt: prompt, answer: request.maxOutputTokens, window: model.contextWindow)))
        }
        let reservation = CostCalculator.reservation(promptTokens: prompt, maxOutputTokens: min(request.maxOutputTokens, model.maxOutput), at: model.price)
        if reservation > 0 {
            if reservation > provider.hourlyHeadroom + BudgetLedger.tolerance {
                return .failure(Rejection(.overBudget(.providerHourly(model.provider), left: provider.hourlyHeadroom, needs: reservation)))
            }
            if reservation > provider.dailyHeadroom + BudgetLedger.tolerance {
                return .failure(Rejection(.overBudget(.providerDaily(model.provider), left: provider.dailyHeadroom, needs: reservation)))
            }
            if reservation > context.globalHeadroom + BudgetLedger.tolerance {
                return .failure(Rejection(.overBudget(.globalDaily, left: context.globalHeadroom, needs: reservation)))
            }
            if let user = context.userHeadroom, reservation > user + BudgetLedger.tolerance {
                return .failure(Rejection(.overBudget(.userDaily, left: user, needs: reservation)))
            }
        }
        return .success(reservation)
    }

    /// Sort key: smaller is better. Ties on the priority's own criteria fall to health.
    static func rankKey(_ model: ModelEntry, request: RouteRequest, context: RoutingContext) -> RankKey {
        let health = context.health[model.id]
        let latency = health?.latencyMilliseconds ?? 0
        let errors = health?.errorRate ?? 0
        // A model failing more than half the time goes behind every healthy one — for as long as
        // a circuit stays open: then it is ranked on its merits again, so its next request is a
        // probe (without one, a model that recovered never got traffic back).
        let failing: Double = (health?.isFailing(at: context.now) ?? false) ? 1 : 0
        switch request.priority {
        case .high:
            return RankKey(failing, Double(model.tier), model.blendedPrice, errors, latency)
        case .low:
            return RankKey(failing, model.blendedPrice, Double(model.tier), errors, latency)
        case .normal:
            let preferredModel: Double = model.id == context.preferredModel ? 0 : 1
            let preferredProvider: Double = model.provider == context.preferredProvider ? 0 : 1
            let adequate: Double = model.tier <= adequateTier ? 0 : 1
            return RankKey(failing, preferredModel, preferredProvider, adequate, model.blendedPrice, Double(model.tier), errors, latency)
        }
    }

    static func reason(for model: ModelEntry, request: RouteRequest, context: RoutingContext) -> String {
        switch request.priority {
        case .high: return "best tier available (tier \(model.tier))"
        case .low: return "cheapest available (\(usd(model.blendedPrice * 1_000_000))/M in+out)"
        case .normal:
            if model.id == context.preferredModel { return "preferred model" }
            if model.provider == context.preferredProvider { return "cheapest adequate model of the preferred provider" }
            return "cheapest adequate model"
        }
    }

    /// Why a usable model ranked below the chosen one: the first criterion that told them apart.
    static func lostReason(_ model: ModelEntry, key mine: RankKey, to chosen: ModelEntry, key theirs: RankKey, request: RouteRequest, context: RoutingContext) -> RouteLoss {
        let criteria: [RouteLoss.Criterion] =
            switch request.priority {
            case .high: [.failing, .tier, .price, .errorRate, .latency]
            case .low: [.failing, .price, .tier, .errorRate, .latency]
            case .normal: [.failing, .preference, .preferredProvider, .adequateTier, .price, .tier, .errorRate, .latency]
            }
        guard let index = (0..<criteria.count).first(where: { mine[$0] != theirs[$0] }) else { return .equalOnEveryCriterion }
        switch criteria[index] {
        case .failing: return .failing(percent: Int((context.health[model.id]?.errorRate ?? 0) * 100))
        case .latency: return .slower(milliseconds: Int(mine[index]), chosen: Int(theirs[index]))
        case .errorRate: return .moreErrors(percent: Int(mine[index] * 100), chosen: Int(theirs[index] * 100))
        case .price: return .pricier(perMillion: model.blendedPrice * 1_000_000, chosen: chosen.blendedPrice * 1_000_000)
        case .tier: return .lowerTier(model.tier, chosen: chosen.tier)
        case let other: return .outranked(on: other)
        }
    }

    static func usd(_ value: Double) -> String {
        value.isInfinite ? "unlimited" : "$" + Formatting.fixed(value, places: value < 0.01 ? 4 : 2)
    }
}

/// A model's rank as up to eight criteria, compared in order (unused places stay 0). Fixed-size,
/// so ranking every model on every request allocates nothing.
struct RankKey: Comparable {
    private let values: SIMD8<Double>

    init(_ a: Double, _ b: Double, _ c: Double, _ d: Double, _ e: Double, _ f: Double = 0, _ g: Double = 0, _ h: Double = 0) {
        values = SIMD8(a, b, c, d, e, f, g, h)
    }

    subscript(index: Int) -> Double { values[index] }

    static func < (a: RankKey, b: RankKey) -> Bool {
        for index in 0..<8 where a.values[index] != b.values[index] { return a.values[index] < b.values[index] }
        return false
    }

    static func == (a: RankKey, b: RankKey) -> Bool { a.values == b.values }
}
