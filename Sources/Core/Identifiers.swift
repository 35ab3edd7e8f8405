import Foundation

/// Where a message came from.
public enum Channel: String, Sendable, Hashable, CaseIterable, Codable {
    case telegram, console, cli
}

/// A conversation: a Telegram chat (`tg:<chat id>`), the console's chat box (`console`), or a
/// named conversation of `switchboard chat` (`cli:<name>`).
public struct ConversationID: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Wraps a stored identifier.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The conversation of a Telegram chat.
    public static func telegram(chat: Int64) -> ConversationID { ConversationID(rawValue: "tg:\(chat)") }
    /// The console's test chat.
    public static let console = ConversationID(rawValue: "console")
    /// A named conversation of `switchboard chat`.
    public static func cli(_ name: String) -> ConversationID { ConversationID(rawValue: "cli:\(name)") }

    public var description: String { rawValue }
}

/// One request through the pipeline, from intake to the persisted answer.
public struct RequestID: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Wraps an identifier.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A new unique identifier.
    public static func make() -> RequestID { RequestID(rawValue: UUID().uuidString.lowercased()) }

    public var description: String { rawValue }
}

/// How much a request matters: high gets the best model available, low the cheapest adequate one.
public enum RequestPriority: String, Sendable, Hashable, CaseIterable, Codable {
    case low, normal, high
}

/// A budget window, calendar-aligned in UTC.
public enum QuotaWindow: String, Sendable, Hashable, CaseIterable, Codable {
    case hourly, daily
}
