public import Core
import Foundation
import Store
import Synchronization

/// Spend per provider, window and limit, for the console and `stats`.
public struct BudgetSnapshot: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        public var provider: String?
        public var window: QuotaWindow
        public var spent: Double
        public var reserved: Double
        public var limit: Double
    }

    public var lines: [Line]

    public func line(_ provider: String?, _ window: QuotaWindow) -> Line? {
        lines.first { $0.provider == provider && $0.window == window }
    }
}
