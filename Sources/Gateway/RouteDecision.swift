import Core
import Providers
public import Foundation
import Synchronization

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
