public import Core
public import Foundation

/// What the router knows about one provider right now.
public struct ProviderStatus: Sendable, Hashable {
    public var configured: Bool
    public var enabled: Bool
    public var circuit: CircuitState
    /// When an open circuit lets its next probe through.
    public var probeAt: Date?
    /// USD the provider may still spend in this hour and this day (the smaller binds).
    public var hourlyHeadroom: Double
    public var dailyHeadroom: Double

    public init(configured: Bool, enabled: Bool = true, circuit: CircuitState = .closed, probeAt: Date? = nil, hourlyHeadroom: Double = .infinity, dailyHeadroom: Double = .infinity) {
        self.configured = configured
        self.enabled = enabled
        self.circuit = circuit
        self.probeAt = probeAt
        self.hourlyHeadroom = hourlyHeadroom
        self.dailyHeadroom = dailyHeadroom
    }
}

/// Observed behaviour of a model: exponentially weighted averages of latency and errors.
public struct ModelHealth: Sendable, Hashable {
    /// Milliseconds to the first token (or the whole answer when not streamed).
    public var latencyMilliseconds: Double
    /// 0 (never fails) to 1 (always fails).
    public var errorRate: Double

    public init(latencyMilliseconds: Double, errorRate: Double) {
        self.latencyMilliseconds = latencyMilliseconds
        self.errorRate = errorRate
    }
}

/// Everything a routing decision depends on, gathered by the Gateway so the router stays pure.
public struct RoutingContext: Sendable {
    public var catalog: [ModelEntry]
    public var providers: [String: ProviderStatus]
    public var health: [String: ModelHealth]
    /// USD left under the global daily limit and the user's daily budget (`nil`: no user budget).
    public var globalHeadroom: Double
    public var userHeadroom: Double?
    public var preferredProvider: String?
    public var preferredModel: String?
    /// The operator's pin (console `:model NAME`).
    public var pinnedModel: String?
    public var now: Date

    public init(catalog: [ModelEntry], providers: [String: ProviderStatus], health: [String: ModelHealth] = [:], globalHeadroom: Double = .infinity, userHeadroom: Double? = nil, preferredProvider: String? = nil, preferredModel: String? = nil, pinnedModel: String? = nil, now: Date) {
        self.catalog = catalog
        self.providers = providers
        self.health = health
        self.globalHeadroom = globalHeadroom
        self.userHeadroom = userHeadroom
        self.preferredProvider = preferredProvider
        self.preferredModel = preferredModel
        self.pinnedModel = pinnedModel
        self.now = now
    }
}

/// The request as the router sees it.
public struct RouteRequest: Sendable, Hashable {
    public var priority: RequestPriority
    /// Estimated prompt tokens per tokenizer family (counts differ a lot between families).
    public var promptTokens: [TokenEncoding: Int]
    public var maxOutputTokens: Int

    public init(priority: RequestPriority, promptTokens: [TokenEncoding: Int], maxOutputTokens: Int) {
        self.priority = priority
        self.promptTokens = promptTokens
        self.maxOutputTokens = maxOutputTokens
    }

    /// The same prompt tokens for every family (tests, or when only one count is known).
    public init(priority: RequestPriority, promptTokens: Int, maxOutputTokens: Int) {
        self.init(priority: priority, promptTokens: Dictionary(uniqueKeysWithValues: TokenEncoding.allCases.map { ($0, promptTokens) }), maxOutputTokens: maxOutputTokens)
    }

    func prompt(for model: ModelEntry) -> Int {
        promptTokens[TokenEncoding.of(model: model.id)] ?? promptTokens.values.max() ?? 0
    }
}

/// The router's answer: the model to call, what to try next, and why every other model lost.
public struct RouteDecision: Sendable, Hashable {
    public let chosen: ModelEntry
    /// Usable models in the order to try after `chosen`.
    public let fallbacks: [ModelEntry]
    /// Every other model with the reason it was not chosen (filtered out, or ranked lower).
    public let losers: [(model: String, reason: String)]
    /// Why `chosen` won, in the operator's words.
    public let reason: String
    /// The most the call may cost (the reservation against budgets).
    public let reservationUSD: Double
    /// One line for the console and logs: choice, reason, and the first few losers (formatted
    /// once: every request repeats it in its event, usage row and result).
    public let summary: String

    /// A decision; ``summary`` is derived from the rest.
    public init(chosen: ModelEntry, fallbacks: [ModelEntry], losers: [(model: String, reason: String)], reason: String, reservationUSD: Double) {
        self.chosen = chosen
        self.fallbacks = fallbacks
        self.losers = losers
        self.reason = reason
        self.reservationUSD = reservationUSD
        let lost = losers.prefix(3).map { "\($0.model) \($0.reason)" }.joined(separator: "; ")
        summary = "\(chosen.id) (\(reason))" + (lost.isEmpty ? "" : "; \(lost)")
    }

    public static func == (a: RouteDecision, b: RouteDecision) -> Bool {
        a.chosen == b.chosen && a.fallbacks == b.fallbacks && a.reason == b.reason
            && a.losers.map(\.model) == b.losers.map(\.model) && a.losers.map(\.reason) == b.losers.map(\.reason)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(chosen)
        hasher.combine(reason)
    }
}

/// No model can take the request; says why for each, so the operator knows what to fix.
public struct RoutingError: Error, Sendable, CustomStringConvertible {
    public var reasons: [(model: String, reason: String)]

    public var description: String {
        let byReason = Dictionary(grouping: reasons, by: \.reason).map { reason, models in
            "\(models.map(\.model).prefix(3).joined(separator: ", "))\(models.count > 3 ? " and \(models.count - 3) more" : ""): \(reason)"
        }.sorted()
        return "no model can take this request — " + byReason.joined(separator: "; ")
    }
}

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
        var usable: [(ModelEntry, Double)] = []
        var losers: [(model: String, reason: String)] = []
        for model in context.catalog {
            switch check(model, request: request, context: context) {
            case .success(let reservation): usable.append((model, reservation))
            case .failure(let rejection): losers.append((model.id, rejection.reason))
            }
        }
        guard !usable.isEmpty else { throw RoutingError(reasons: losers) }

        // Stable: equal keys keep catalog order, so the same context always gives the same decision.
        let keyed = usable.enumerated().map { (offset: $0.offset, element: $0.element, key: rankKey($0.element.0, request: request, context: context)) }
        let sorted = keyed.sorted { a, b in
            a.key.lexicographicallyPrecedes(b.key) || (a.key == b.key && a.offset < b.offset)
        }
        let ranked = sorted.map(\.element)
        var chosen = ranked[0]
        var chosenKey = sorted[0].key
        var reason = Self.reason(for: chosen.0, request: request, context: context)
        var isPinned = false
        if let pin = context.pinnedModel {
            if let pinned = sorted.first(where: { $0.element.0.id == pin }) {
                chosen = pinned.element
                chosenKey = pinned.key
                isPinned = true
                reason = "pinned by the operator"
            } else if let rejected = losers.first(where: { $0.model == pin }) {
                reason += "; pinned \(pin) unavailable: \(rejected.reason)"
            } else {
                reason += "; pinned \(pin) is not in the catalog"
            }
        }
        if !chosen.0.priceIsKnown { reason += "; cost unknown (not in the catalog)" }
        let others = sorted.filter { $0.element.0.id != chosen.0.id }
        // Usable models that ranked lower come first (best first), then the filtered ones.
        let outranked = others.map { other in
            (model: other.element.0.id, reason: isPinned ? "not pinned" : lostReason(other.element.0, key: other.key, to: chosen.0, key: chosenKey, request: request, context: context))
        }
        return RouteDecision(chosen: chosen.0, fallbacks: others.map(\.element.0), losers: outranked + losers, reason: "\(request.priority.rawValue) priority: \(reason)", reservationUSD: chosen.1)
    }

    struct Rejection: Error {
        let reason: String
    }

    /// Whether `model` can take the request; on success, the reservation it needs.
    static func check(_ model: ModelEntry, request: RouteRequest, context: RoutingContext) -> Result<Double, Rejection> {
        if model.isRetired(on: context.now) {
            return .failure(Rejection(reason: model.retirementDate.map { "retired on \(ModelCatalog.dayString($0))" } ?? "retired"))
        }
        guard let provider = context.providers[model.provider], provider.configured else {
            return .failure(Rejection(reason: "\(model.provider) not configured"))
        }
        guard provider.enabled else { return .failure(Rejection(reason: "\(model.provider) disabled by the operator")) }
        if provider.circuit == .open {
            let probe = provider.probeAt.map { " (probe in \(max(0, Int($0.timeIntervalSince(context.now).rounded(.up)))) s)" } ?? ""
            return .failure(Rejection(reason: "\(model.provider) circuit open\(probe)"))
        }
        let prompt = request.prompt(for: model)
        guard prompt + request.maxOutputTokens <= model.contextWindow else {
            return .failure(Rejection(reason: "\(prompt) prompt + \(request.maxOutputTokens) answer tokens exceed its \(model.contextWindow)-token window"))
        }
        let reservation = CostCalculator.reservation(promptTokens: prompt, maxOutputTokens: min(request.maxOutputTokens, model.maxOutput), at: model.price)
        if reservation > 0 {
            if reservation > provider.hourlyHeadroom + BudgetLedger.tolerance {
                return .failure(Rejection(reason: "\(model.provider) hourly quota: \(usd(provider.hourlyHeadroom)) left, needs \(usd(reservation))"))
            }
            if reservation > provider.dailyHeadroom + BudgetLedger.tolerance {
                return .failure(Rejection(reason: "\(model.provider) daily quota: \(usd(provider.dailyHeadroom)) left, needs \(usd(reservation))"))
            }
            if reservation > context.globalHeadroom + BudgetLedger.tolerance {
                return .failure(Rejection(reason: "global daily limit: \(usd(context.globalHeadroom)) left, needs \(usd(reservation))"))
            }
            if let user = context.userHeadroom, reservation > user + BudgetLedger.tolerance {
                return .failure(Rejection(reason: "the user's daily budget: \(usd(user)) left, needs \(usd(reservation))"))
            }
        }
        return .success(reservation)
    }

    /// Sort key: smaller is better. Ties on the priority's own criteria fall to health.
    static func rankKey(_ model: ModelEntry, request: RouteRequest, context: RoutingContext) -> [Double] {
        let health = context.health[model.id]
        let latency = health?.latencyMilliseconds ?? 0
        let errors = health?.errorRate ?? 0
        // A model failing more than half the time goes behind every healthy one.
        let failing: Double = errors > 0.5 ? 1 : 0
        switch request.priority {
        case .high:
            return [failing, Double(model.tier), model.blendedPrice, errors, latency]
        case .low:
            return [failing, model.blendedPrice, Double(model.tier), errors, latency]
        case .normal:
            let preferredModel: Double = model.id == context.preferredModel ? 0 : 1
            let preferredProvider: Double = model.provider == context.preferredProvider ? 0 : 1
            let adequate: Double = model.tier <= adequateTier ? 0 : 1
            return [failing, preferredModel, preferredProvider, adequate, model.blendedPrice, Double(model.tier), errors, latency]
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
    static func lostReason(_ model: ModelEntry, key mine: [Double], to chosen: ModelEntry, key theirs: [Double], request: RouteRequest, context: RoutingContext) -> String {
        let names: [String] =
            switch request.priority {
            case .high: ["failing", "tier", "price", "error rate", "latency"]
            case .low: ["failing", "price", "tier", "error rate", "latency"]
            case .normal: ["failing", "preference", "preferred provider", "tier above \(adequateTier)", "price", "tier", "error rate", "latency"]
            }
        guard let index = mine.indices.first(where: { mine[$0] != theirs[$0] }) else { return "ranked lower (equal on every criterion)" }
        switch names[index] {
        case "failing": return "lost on errors (\(Int((context.health[model.id]?.errorRate ?? 0) * 100)) % failing)"
        case "latency": return "lost on latency (\(Int(mine[index])) vs \(Int(theirs[index])) ms)"
        case "error rate": return "lost on error rate (\(Int(mine[index] * 100)) vs \(Int(theirs[index] * 100)) %)"
        case "price": return "lost on price (\(usd(model.blendedPrice * 1_000_000)) vs \(usd(chosen.blendedPrice * 1_000_000))/M)"
        case "tier": return "lost on tier (\(model.tier) vs \(chosen.tier))"
        default: return "lost on \(names[index])"
        }
    }

    static func usd(_ value: Double) -> String {
        value.isInfinite ? "unlimited" : "$" + Formatting.fixed(value, places: value < 0.01 ? 4 : 2)
    }
}
