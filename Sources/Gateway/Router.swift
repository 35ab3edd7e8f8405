public import Core
public import Providers
public import Foundation
import Synchronization

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

    /// The last failure (nil: unknown, as good as just now).
    public var lastFailureAt: Date?

    public init(latencyMilliseconds: Double, errorRate: Double, lastFailureAt: Date? = nil) {
        self.latencyMilliseconds = latencyMilliseconds
        self.errorRate = errorRate
        self.lastFailureAt = lastFailureAt
    }

    /// Failing more than half the time, and lately: within ``CircuitBreaker/openDuration`` of
    /// the last failure.
    public func isFailing(at date: Date) -> Bool {
        errorRate > 0.5 && (lastFailureAt.map { date.timeIntervalSince($0) < CircuitBreaker.openDuration } ?? true)
    }
}

/// Everything a routing decision depends on, gathered by the Gateway so the router stays pure.
public struct RoutingContext: Sendable {
    public var catalog: [ModelEntry]
    /// By name; a provider not in it is not configured.
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
    /// Every other model with why it was not chosen (filtered out, or ranked lower).
    public let losses: [(model: String, loss: RouteLoss)]
    /// The same, in words (formatted when read: a decision has dozens and most go unread).
    public var losers: [(model: String, reason: String)] { losses.map { ($0.model, $0.loss.description) } }
    /// Why `chosen` won, in the operator's words.
    public let reason: String
    /// The most the call may cost (the reservation against budgets).
    public let reservationUSD: Double
    /// One line for the console and logs: choice, reason, and every loser with why (formatted
    /// once: every request repeats it in its event, usage row and result).
    public let summary: String

    /// A decision; ``summary`` is derived from the rest.
    public init(chosen: ModelEntry, fallbacks: [ModelEntry], losses: [(model: String, loss: RouteLoss)], reason: String, reservationUSD: Double) {
        self.init(chosen: chosen, fallbacks: fallbacks, losses: losses, reason: reason, reservationUSD: reservationUSD, summary: Self.summary(chosen: chosen.id, reason: reason, losses: losses))
    }

    init(chosen: ModelEntry, fallbacks: [ModelEntry], losses: [(model: String, loss: RouteLoss)], reason: String, reservationUSD: Double, summary: String) {
        self.chosen = chosen
        self.fallbacks = fallbacks
        self.losses = losses
        self.reason = reason
        self.reservationUSD = reservationUSD
        self.summary = summary
    }

    /// The choice, its reason and every loser with why, in one line; models that lost for the
    /// same reason share it ("gpt-4, gpt-4-turbo: lost on tier above 5").
    static func summary(chosen: String, reason: String, losses: [(model: String, loss: RouteLoss)]) -> String {
        var summary = chosen
        summary.reserveCapacity(256 + 48 * losses.count)
        summary += " ("
        summary += reason
        summary += ")"
        for (models, reason) in grouped(losses) {
            summary += "; "
            summary += models.joined(separator: ", ")
            summary += models.count > 1 ? ": " : " "
            summary += reason
        }
        return summary
    }

    /// Losses with the same words together, in order of first appearance.
    static func grouped(_ losses: [(model: String, loss: RouteLoss)]) -> [(models: [String], reason: String)] {
        var groups: [(models: [String], reason: String)] = []
        var index: [String: Int] = [:]
        for lost in losses {
            let reason = lost.loss.description
            if let at = index[reason] {
                groups[at].models.append(lost.model)
            } else {
                index[reason] = groups.count
                groups.append(([lost.model], reason))
            }
        }
        return groups
    }

    public static func == (a: RouteDecision, b: RouteDecision) -> Bool {
        a.chosen == b.chosen && a.fallbacks == b.fallbacks && a.reason == b.reason
            && a.losses.map(\.model) == b.losses.map(\.model) && a.losses.map(\.loss) == b.losses.map(\.loss)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(chosen)
        hasher.combine(reason)
    }
}

/// No model can take the request; says why for each, so the operator knows what to fix.
public struct RoutingError: Error, Sendable, CustomStringConvertible {
    public var losses: [(model: String, loss: RouteLoss)]
    /// The same, in words.
    public var reasons: [(model: String, reason: String)] { losses.map { ($0.model, $0.loss.description) } }

    /// Only spending limits stand in the way (retired or unconfigured models aside): the user hears
    /// about the budget, not about an outage.
    public var isBudgetOnly: Bool {
        losses.contains { $0.loss.isBudget } && losses.allSatisfy { $0.loss.isBudget || $0.loss.isPermanent }
    }

    public var description: String {
        // Every model named: the operator needs to know what to fix for each.
        let byReason = RouteDecision.grouped(losses).map { "\($0.models.joined(separator: ", ")): \($0.reason)" }.sorted()
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

/// A model's rank as up to eight criteria, compared in order (unused places stay 0). Fixed-size:
/// the router ranks every model on every request, and an array each was an allocation each.
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

/// Why the router did not choose a model: filtered out, or ranked lower. Kept as data, and put
/// into words (`description`) only when someone reads it.
public enum RouteLoss: Sendable, Hashable, CustomStringConvertible {
    /// A limit whose headroom could not cover the reservation.
    public enum Budget: Sendable, Hashable {
        case providerHourly(String), providerDaily(String), globalDaily, userDaily
    }

    /// What told two usable models apart, in ranking order.
    public enum Criterion: String, Sendable, Hashable {
        case failing, preference, preferredProvider = "preferred provider", adequateTier, price, tier, errorRate = "error rate", latency
    }

    case retired(on: Date?)
    /// A compatible provider's model with no declared price.
    case unpriced(provider: String)
    case notConfigured(provider: String)
    case disabled(provider: String)
    case circuitOpen(provider: String, probeInSeconds: Int?)
    case tooLong(prompt: Int, answer: Int, window: Int)
    case overBudget(Budget, left: Double, needs: Double)
    case notPinned
    case equalOnEveryCriterion
    case failing(percent: Int)
    case slower(milliseconds: Int, chosen: Int)
    case moreErrors(percent: Int, chosen: Int)
    case pricier(perMillion: Double, chosen: Double)
    case lowerTier(Int, chosen: Int)
    case outranked(on: Criterion)

    /// A spending limit refused it.
    public var isBudget: Bool {
        if case .overBudget = self { true } else { false }
    }

    /// It can never take a request until the operator changes something (retired, no key).
    public var isPermanent: Bool {
        switch self {
        case .retired, .unpriced, .notConfigured: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .retired(let day): day.map { "retired on \(ModelCatalog.dayString($0))" } ?? "retired"
        case .unpriced(let provider): "no price declared (set \(SettingsLoader.variablePrefix(for: provider))_PRICES, e.g. model=free or model=0.5/1.5 USD per million tokens, or list it in SWITCHBOARD_MODELS_FILE)"
        case .notConfigured(let provider): "\(provider) not configured"
        case .disabled(let provider): "\(provider) disabled by the operator"
        case .circuitOpen(let provider, let probe): "\(provider) circuit open" + (probe.map { " (probe in \($0) s)" } ?? "")
        case .tooLong(let prompt, let answer, let window): "\(prompt) prompt + \(answer) answer tokens exceed its \(window)-token window"
        case .overBudget(let budget, let left, let needs):
            switch budget {
            case .providerHourly(let provider): "\(provider) hourly quota: \(Router.usd(left)) left, needs \(Router.usd(needs))"
            case .providerDaily(let provider): "\(provider) daily quota: \(Router.usd(left)) left, needs \(Router.usd(needs))"
            case .globalDaily: "global daily limit: \(Router.usd(left)) left, needs \(Router.usd(needs))"
            case .userDaily: "the user's daily budget: \(Router.usd(left)) left, needs \(Router.usd(needs))"
            }
        case .notPinned: "not pinned"
        case .equalOnEveryCriterion: "ranked lower (equal on every criterion)"
        case .failing(let percent): "lost on errors (\(percent) % failing)"
        case .slower(let mine, let chosen): "lost on latency (\(mine) vs \(chosen) ms)"
        case .moreErrors(let mine, let chosen): "lost on error rate (\(mine) vs \(chosen) %)"
        case .pricier(let mine, let chosen): "lost on price (\(Router.usd(mine)) vs \(Router.usd(chosen))/M)"
        case .lowerTier(let mine, let chosen): "lost on tier (\(mine) vs \(chosen))"
        case .outranked(let criterion):
            criterion == .adequateTier ? "lost on tier above \(Router.adequateTier)" : "lost on \(criterion.rawValue)"
        }
    }
}
