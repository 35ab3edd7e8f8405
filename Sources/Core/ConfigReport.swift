/// One problem found in the configuration, named by the variable (or file line) it concerns.
public struct ConfigIssue: Sendable, Hashable, CustomStringConvertible {
    /// The variable the issue is about, or `nil` for issues about the configuration as a whole.
    public let variable: String?
    /// What is wrong and what is expected, never including a secret value.
    public let message: String

    /// Creates an issue about `variable` (or the whole configuration when `nil`).
    public init(_ variable: String?, _ message: String) {
        self.variable = variable
        self.message = message
    }

    public var description: String {
        variable.map { "\($0): \(message)" } ?? message
    }
}

/// The result of validating a configuration: errors make it invalid, warnings do not.
public struct ConfigReport: Sendable, Hashable {
    /// Problems that stop Switchboard from running as configured.
    public var errors: [ConfigIssue] = []
    /// Problems worth fixing that do not stop it.
    public var warnings: [ConfigIssue] = []

    /// Creates an empty report.
    public init() {}

    /// `true` when there are no errors.
    public var isValid: Bool { errors.isEmpty }

    mutating func error(_ variable: String?, _ message: String) {
        errors.append(ConfigIssue(variable, message))
    }

    mutating func warn(_ variable: String?, _ message: String) {
        warnings.append(ConfigIssue(variable, message))
    }
}
