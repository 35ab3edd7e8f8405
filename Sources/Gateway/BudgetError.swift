import Core
import Foundation
import Store
import Synchronization

/// A request over a limit: which one, and how much is left.
public struct BudgetError: Error, Sendable, CustomStringConvertible {
    public let scope: String
    public let remaining: Double
    public let needed: Double
    /// Why nothing could be reserved when no limit refused (the ledger could not be written).
    public let unavailable: String?

    public init(scope: String, remaining: Double, needed: Double) {
        self.scope = scope
        self.remaining = remaining
        self.needed = needed
        self.unavailable = nil
    }

    /// Nothing could be reserved because the ledger cannot be written: refused, since a request
    /// the ledger does not hold could overspend every limit.
    public init(unavailable reason: String, needed: Double) {
        self.scope = "the budget ledger"
        self.remaining = 0
        self.needed = needed
        self.unavailable = reason
    }

    public var description: String {
        if let unavailable { return "the budget ledger cannot record a reservation (\(unavailable))" }
        return String(format: "%@: $%.4f left, this request may cost up to $%.4f", scope, max(0, remaining), needed)
    }
}
